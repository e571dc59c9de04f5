# bash completion for anomalyd, anomaly-send, anomaly-top and anomaly-export.
# Completes options, detector names, vote rules, formats, files, and client
# ids read from the database (-d/--db on the line, else $ANOMALY_DB, else
# ./anomaly.db) with anomaly-export.  Needs no bash-completion package;
# installed once per command name in share/bash-completion/completions/.

# _anomaly_clients DB...: the client ids of the databases, one a line.
_anomaly_clients()
{
	local args=() db
	for db in "$@"; do
		args+=(-d "$db")
	done
	[ ${#args[@]} -eq 0 ] && args=(-d "${ANOMALY_DB:-./anomaly.db}")
	# ids outside [A-Za-z0-9._:-] cannot exist (anomaly(7)); a quoted
	# CSV field is skipped rather than mangled
	anomaly-export --clients "${args[@]}" 2>/dev/null |
	    sed -e '1d' -e '/^"/d' -e 's/,.*//'
}

_anomaly()
{
	local cur prev cmd opts dbs=() i w
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	cmd=${COMP_WORDS[0]##*/}
	local detectors="zscore iqr ewma ma mzscore iforest spatial novelty novelty_long"
	local params="zscore.k iqr.k ewma.lambda ewma.l ma.m ma.k mzscore.k iforest.trees iforest.sample iforest.threshold min_points holdoff spatial.tol spatial.ramp novelty.dim novelty.protos novelty.rho novelty.rate novelty.average novelty.history novelty.learn novelty.eps novelty.sigma_min novelty.holdoff novelty_long.scale"

	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		-d|--db) dbs+=("${COMP_WORDS[i+1]}") ;;
		--db=*) dbs+=("${w#--db=}") ;;
		esac
	done

	case $cmd in
	anomalyd)
		opts="-l --listen -d --db --www --detectors --vote --alert
		    --zscore-k --iqr-k --ewma-lambda --ewma-l --ma-m --ma-k
		    --mzscore-k --iforest-trees --iforest-sample
		    --iforest-threshold --min-points --holdoff -p --param --max-clients
		    --max-window --max-message --max-batch --max-pending
		    --hello-timeout --ping-timeout --token-file --batch-rows
		    --batch-ms --snapshot-every --sync -v --verbose -h --help
		    --version" ;;
	anomaly-send)
		opts="-u --url -i --client-id -w --window -t --time-column
		    -v --value-column --no-header --rate --realtime --speed
		    --inflight --loop --json -q --quiet --log-dir --no-log
		    --retries --token-file --fail-on-anomaly -h --help
		    --fail-on-alert --resume --delete --wait
		    --version" ;;
	anomaly-top)
		opts="-d --db -n --interval -c --client -b --batch
		    --iterations -h --help --version" ;;
	anomaly-export)
		opts="-d --db -c --client --since --until -a --anomalies-only
		    -A --alerts-only -f --format -o --output --clients -h --help --version" ;;
	*)
		return 0 ;;
	esac

	# --opt=value
	if [[ $cur == --*=* ]]; then
		prev=${cur%%=*}
		cur=${cur#*=}
	fi

	case $prev in
	--detectors)
		# a comma-separated list: complete the last name
		local head=${cur%,*} last=${cur##*,}
		[ "$head" = "$cur" ] && head= || head="$head,"
		COMPREPLY=($(compgen -W "$detectors" -P "$head" -- "$last"))
		compopt -o nospace 2>/dev/null
		return 0 ;;
	--vote)
		COMPREPLY=($(compgen -W "majority any all 1 2 3 4 5 6" -- "$cur"))
		return 0 ;;
	--alert)
		COMPREPLY=($(compgen -W "vote $detectors" -- "$cur"))
		return 0 ;;
	--sync)
		COMPREPLY=($(compgen -W "normal full" -- "$cur"))
		return 0 ;;
	-f|--format)
		[ "$cmd" = anomaly-export ] || return 0
		COMPREPLY=($(compgen -W "csv ndjson json" -- "$cur"))
		return 0 ;;
	-c|--client|-i|--client-id)
		[ "$prev" = -i ] || [ "$prev" = --client-id ] ||
		    [ "$cmd" != anomaly-send ] || return 0
		COMPREPLY=($(compgen -W "$(_anomaly_clients "${dbs[@]}")" \
		    -- "$cur"))
		return 0 ;;
	-d|--db)
		[ "$cmd" = anomaly-send ] && return 0
		COMPREPLY=($(compgen -f -X '!*.db' -- "$cur") \
		    $(compgen -d -- "$cur"))
		compopt -o filenames 2>/dev/null
		return 0 ;;
	-p|--param)
		[ "$cmd" = anomalyd ] || return 0
		COMPREPLY=($(compgen -W "$params" -- "$cur"))
		compopt -o nospace 2>/dev/null
		COMPREPLY=("${COMPREPLY[@]/%/=}")
		return 0 ;;
	--www|--log-dir)
		COMPREPLY=($(compgen -d -- "$cur"))
		compopt -o filenames 2>/dev/null
		return 0 ;;
	--token-file|-o|--output)
		COMPREPLY=($(compgen -f -- "$cur"))
		compopt -o filenames 2>/dev/null
		return 0 ;;
	-l|--listen|-u|--url|-w|--window|-t|--time-column|-v|--value-column|\
	--rate|--speed|--inflight|--retries|-n|--interval|--iterations|\
	--since|--until|--*-k|--ewma-*|--ma-m|--iforest-*|--min-points|\
	--holdoff|--max-*|--*-timeout|--batch-*|--snapshot-every)
		[ "$prev" = -v ] && [ "$cmd" = anomalyd ] && : || return 0 ;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
	elif [ "$cmd" = anomaly-send ]; then
		COMPREPLY=($(compgen -f -X '!*.csv' -- "$cur") \
		    $(compgen -d -- "$cur"))
		compopt -o filenames 2>/dev/null
	fi
	return 0
}

complete -F _anomaly anomalyd anomaly-send anomaly-top anomaly-export
