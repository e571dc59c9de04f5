# fish completion for anomaly-top (see anomaly-top(1)).
function __anomaly_top_clients
    set -l dbs
    set -l words (commandline -opc)
    for i in (seq (count $words))
        switch $words[$i]
            case -d --db
                set -l j (math $i + 1)
                test $j -le (count $words); and set -a dbs -d $words[$j]
            case '--db=*'
                set -a dbs -d (string replace -- --db= '' $words[$i])
        end
    end
    if test (count $dbs) -eq 0
        set -q ANOMALY_DB; and set dbs -d $ANOMALY_DB; or set dbs -d ./anomaly.db
    end
    # the anomaly-export beside the command as typed, else that of $PATH
    set -l exp anomaly-export
    set -l cmd (string replace -r '^~' -- $HOME $words[1])
    if string match -q -- '*/*' $cmd; and test -x (dirname -- $cmd)/anomaly-export
        set exp (dirname -- $cmd)/anomaly-export
    end
    $exp --clients $dbs 2>/dev/null | sed -e 1d -e '/^"/d' -e 's/,.*//'
end
complete -c anomaly-top -f
complete -c anomaly-top -s d -l db -r -F -d 'database'
complete -c anomaly-top -s c -l client -x -a '(__anomaly_top_clients)' -d 'client id'
complete -c anomaly-top -s h -l help -d 'print the usage'
complete -c anomaly-top -l version -d 'print the version'
complete -c anomaly-top -s n -l interval -x -d 'seconds between refreshes (1)'
complete -c anomaly-top -s b -l batch -d 'text snapshots, no curses'
complete -c anomaly-top -l iterations -x -d 'snapshots with -b'
complete -c anomaly-top -s u -l url -x -d 'a running anomalyd (http:// or https://)'
complete -c anomaly-top -l read-token-file -r -F -d 'file of the read token'
complete -c anomaly-top -l cacert -r -F -d 'CA file for https://'
complete -c anomaly-top -s k -l insecure -d 'do not verify https:// certificates'
