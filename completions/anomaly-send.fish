# fish completion for anomaly-send (see anomaly-send(1)).
function __anomaly_send_clients
    # the anomaly-export beside the command as typed, else that of $PATH
    set -l exp anomaly-export
    set -l cmd (string replace -r '^~' -- $HOME (commandline -opc)[1])
    if string match -q -- '*/*' $cmd; and test -x (dirname -- $cmd)/anomaly-export
        set exp (dirname -- $cmd)/anomaly-export
    end
    $exp --clients -d (set -q ANOMALY_DB; and echo $ANOMALY_DB; or echo ./anomaly.db) 2>/dev/null | sed -e 1d -e '/^"/d' -e 's/,.*//'
end
# The columns of the first CSV file on the line (before or after the
# cursor): the names of its first line, or 1 to their count with --no-header.
function __anomaly_send_columns
    set -l words (commandline -op)
    set -l cur (commandline -ct)
    set -l file
    set -l nohdr
    contains -- --no-header $words; and set nohdr 1
    for i in (seq 2 (count $words))
        set -l w $words[$i]
        test "$w" = "$cur"; and continue
        contains -- $words[(math $i - 1)] -u --url -i --client-id -w --window -t --time-column -v --value-column --rate --speed --inflight --log-dir --retries --token-file --key-file --cacert; and continue
        string match -q -- '-*' $w; and continue
        set w (string replace -r '^~' -- $HOME $w)
        if test -f "$w" -a -r "$w"
            set file $w
            break
        end
    end
    test -n "$file"; or return 0
    set -l cols (head -n 1 -- $file | string trim -r -c \r | string split ,)
    if test -n "$nohdr"
        seq (count $cols)
    else
        string trim -c '"' -- $cols
    end
end
complete -c anomaly-send -s u -l url -x -d 'server URL'
complete -c anomaly-send -s i -l client-id -x -a '(__anomaly_send_clients)' -d 'client id'
complete -c anomaly-send -s w -l window -x -d 'window (1000)'
complete -c anomaly-send -s t -l time-column -x -a '(__anomaly_send_columns)' -d 'timestamp column'
complete -c anomaly-send -s v -l value-column -x -a '(__anomaly_send_columns)' -d 'value column'
complete -c anomaly-send -l no-header -d 'the first row is data'
complete -c anomaly-send -l rate -x -d 'points per second'
complete -c anomaly-send -l realtime -d 'space points by their timestamps'
complete -c anomaly-send -l speed -x -d 'realtime speed factor'
complete -c anomaly-send -l inflight -x -d 'points in flight (256)'
complete -c anomaly-send -l loop -d 'replay the files for ever'
complete -c anomaly-send -l json -d 'verdicts as NDJSON'
complete -c anomaly-send -s q -l quiet -d 'no verdicts, no progress bar'
complete -c anomaly-send -l log-dir -x -a '(__fish_complete_directories)' -d 'log directory'
complete -c anomaly-send -l no-log -d 'no log'
complete -c anomaly-send -l retries -x -d 'reconnects (5)'
complete -c anomaly-send -l token-file -r -F -d 'token to send'
complete -c anomaly-send -l key-file -r -F -d 'keys of claimed client ids'
complete -c anomaly-send -l cacert -r -F -d 'trust this CA for wss://'
complete -c anomaly-send -s k -l insecure -d 'wss:// without verification'
complete -c anomaly-send -l fail-on-anomaly -d 'exit 4 on an anomaly'
complete -c anomaly-send -l fail-on-alert -d 'exit 4 on an alert'
complete -c anomaly-send -l resume -d 'skip rows already stored'
complete -c anomaly-send -l delete -d 'delete client -i and its points'
complete -c anomaly-send -l wait -d 'retry the first connection too'
complete -c anomaly-send -s h -l help -d 'print the usage'
complete -c anomaly-send -l version -d 'print the version'
