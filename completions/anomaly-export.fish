# fish completion for anomaly-export (see anomaly-export(1)).
function __anomaly_export_clients
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
complete -c anomaly-export -f
complete -c anomaly-export -s d -l db -r -F -d 'database'
complete -c anomaly-export -s c -l client -x -a '(__anomaly_export_clients)' -d 'client id'
complete -c anomaly-export -s h -l help -d 'print the usage'
complete -c anomaly-export -l version -d 'print the version'
complete -c anomaly-export -l since -x -d 'points at or after (epoch or ISO 8601)'
complete -c anomaly-export -l until -x -d 'points before (epoch or ISO 8601)'
complete -c anomaly-export -s a -l anomalies-only -d 'only anomalies'
complete -c anomaly-export -s A -l alerts-only -d 'only alerts (with -a: or anomalies)'
complete -c anomaly-export -s f -l format -x -a 'csv ndjson json' -d 'output format'
complete -c anomaly-export -s o -l output -r -F -d 'output file'
complete -c anomaly-export -l clients -d 'list the clients'
complete -c anomaly-export -s u -l url -x -d 'a running anomalyd (http:// or https://)'
complete -c anomaly-export -l read-token-file -r -F -d 'file of the read token'
complete -c anomaly-export -l cacert -r -F -d 'CA file for https://'
complete -c anomaly-export -s k -l insecure -d 'do not verify https:// certificates'
