# bash completion for anomalyd, anomaly-send, anomaly-top and anomaly-export.
# Completes options, detector names and lists of them, vote rules, formats,
# files, anomaly-send's columns (from the header of the CSV file on the
# line), and client ids read from the database (-d/--db on the line, else
# $ANOMALY_DB, else ./anomaly.db) with the anomaly-export beside the command
# being completed (build/anomaly-top -c uses build/anomaly-export), else the
# one on $PATH.  Needs no bash-completion package; installed once per
# command name in share/bash-completion/completions/.

# _anomaly_export CMD: anomaly-export in the directory of CMD (the command
# as typed) when there is one there, else anomaly-export of $PATH.
_anomaly_export()
{
	local c=${1/#\~/$HOME}
	if [[ $c == */* ]] && [ -x "${c%/*}/anomaly-export" ]; then
		printf '%s\n' "${c%/*}/anomaly-export"
	else
		printf '%s\n' anomaly-export
	fi
}

# _anomaly_clients CMD DB...: the client ids of the databases, one a line,
# read by the anomaly-export of CMD.
_anomaly_clients()
{
	local args=() db exp
	exp=$(_anomaly_export "$1")
	shift
	for db in "$@"; do
		args+=(-d "$db")
	done
	[ ${#args[@]} -eq 0 ] && args=(-d "${ANOMALY_DB:-./anomaly.db}")
	# ids outside [A-Za-z0-9._:-] cannot exist (anomaly(7)); a quoted
	# CSV field is skipped rather than mangled
	"$exp" --clients "${args[@]}" 2>/dev/null |
	    sed -e '1d' -e '/^"/d' -e 's/,.*//'
}

# _anomaly_columns FILE [NUMBERS]: the names of the columns of FILE's first
# line (quotes dropped), one a line; with NUMBERS set, 1 to their count.
_anomaly_columns()
{
	local line c i=0 cols=()
	[ -f "$1" ] && [ -r "$1" ] || return 0
	IFS= read -r line <"$1" || [ -n "$line" ] || return 0
	line=${line%$'\r'}
	IFS=, read -r -a cols <<<"$line"
	for c in "${cols[@]}"; do
		i=$((i + 1))
		if [ -n "$2" ]; then
			printf '%s\n' "$i"
		else
			c=${c#\"}
			printf '%s\n' "${c%\"}"
		fi
	done
}

# _anomaly_list WORDS: COMPREPLY for the last item of the comma list $cur.
_anomaly_list()
{
	local head=${cur%,*} last=${cur##*,}
	[ "$head" = "$cur" ] && head= || head="$head,"
	COMPREPLY=($(compgen -W "$1" -P "$head" -- "$last"))
	compopt -o nospace 2>/dev/null
}

_anomaly()
{
	local cur prev cmd opts dbs=() i w file= nohdr=
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	cmd=${COMP_WORDS[0]##*/}
	local detectors="zscore iqr ewma ma mzscore iforest spatial novelty novelty_long moves"
	local params="zscore.k iqr.k ewma.lambda ewma.l ma.m ma.k mzscore.k iforest.trees iforest.sample iforest.threshold min_points holdoff spatial.tol spatial.ramp novelty.dim novelty.protos novelty.rho novelty.rate novelty.average novelty.history novelty.learn novelty.eps novelty.sigma_min novelty.holdoff novelty.confirm novelty.settle novelty.joint novelty.shape novelty_long.scale moves.k moves.burst"

	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		-d|--db) dbs+=("${COMP_WORDS[i+1]}") ;;
		--db=*) dbs+=("${w#--db=}") ;;
		esac
	done
	# anomaly-send's first CSV file on the line, before or after the cursor
	# (a word that is no option nor an option's value)
	for ((i = 1; i < ${#COMP_WORDS[@]}; i++)); do
		w=${COMP_WORDS[i]}
		[ "$w" = --no-header ] && nohdr=1
		[ $i -eq "$COMP_CWORD" ] || [ -n "$file" ] && continue
		case ${COMP_WORDS[i-1]} in
		-u|--url|-i|--client-id|-w|--window|-t|--time-column|-v|\
		--value-column|--rate|--speed|--inflight|--log-dir|--retries|\
		--token-file|--key-file|--cacert|--preset) continue ;;
		esac
		[[ $w == -* ]] && continue
		w=${w/#\~/$HOME}
		[ -f "$w" ] && file=$w
	done

	case $cmd in
	anomalyd)
		opts="-l --listen -d --db --www --detectors --vote --alert
		    --zscore-k --iqr-k --ewma-lambda --ewma-l --ma-m --ma-k
		    --mzscore-k --iforest-trees --iforest-sample
		    --iforest-threshold --min-points --holdoff -p --param --max-clients
		    --max-window --max-message --max-batch --max-pending
		    --max-memory --max-handshakes --max-per-addr --allow-origin
		    --hello-timeout --ping-timeout --token-file
		    --admin-token-file --read-token-file --tls-cert --tls-key
		    --batch-rows --batch-ms --snapshot-every --sync --retain
		    --retain-points --on-alert --on-alert-jobs --on-alert-timeout
		    --webhook --webhook-cacert --webhook-timeout -v --verbose
		    -h --help --version" ;;
	anomaly-send)
		opts="-u --url -i --client-id -w --window -t --time-column
		    -v --value-column --no-header --rate --realtime --speed
		    --inflight --loop --preset --json -q --quiet --log-dir --no-log
		    --retries --token-file --key-file --fail-on-anomaly -h --help
		    --fail-on-alert --resume --delete --wait --cacert -k
		    --insecure --version" ;;
	anomaly-top)
		opts="-d --db -u --url -n --interval -c --client -b --batch
		    --iterations --read-token-file --cacert -k --insecure
		    -h --help --version" ;;
	anomaly-export)
		opts="-d --db -u --url -c --client --since --until -a
		    --anomalies-only -A --alerts-only -f --format -o --output
		    --clients --read-token-file --cacert -k --insecure -h --help
		    --version" ;;
	*)
		return 0 ;;
	esac

	# --opt=value
	if [[ $cur == --*=* ]]; then
		prev=${cur%%=*}
		cur=${cur#*=}
	fi

	if [ "$cmd" = anomaly-send ]; then
		case $prev in
		-t|--time-column|-v|--value-column)
			# the columns of the file, quoted for the line
			local c
			while IFS= read -r c; do
				[[ $c == "$cur"* ]] &&
				    COMPREPLY+=("$(printf '%q' "$c")")
			done < <(_anomaly_columns "$file" "$nohdr")
			return 0 ;;
		esac
	fi

	case $prev in
	--detectors)
		# a comma-separated list: complete the last name
		_anomaly_list "$detectors"
		return 0 ;;
	--vote)
		COMPREPLY=($(compgen -W "majority any all 1 2 3 4 5 6" -- "$cur"))
		return 0 ;;
	--alert)
		# vote, or a comma-separated list of detectors
		if [[ $cur == *,* ]]; then
			_anomaly_list "$detectors"
		else
			_anomaly_list "vote $detectors"
		fi
		return 0 ;;
	--sync)
		COMPREPLY=($(compgen -W "normal full" -- "$cur"))
		return 0 ;;
	--preset)
		COMPREPLY=($(compgen -W "prices none" -- "$cur"))
		return 0 ;;
	-f|--format)
		[ "$cmd" = anomaly-export ] || return 0
		COMPREPLY=($(compgen -W "csv ndjson json" -- "$cur"))
		return 0 ;;
	-c|--client|-i|--client-id)
		[ "$prev" = -i ] || [ "$prev" = --client-id ] ||
		    [ "$cmd" != anomaly-send ] || return 0
		COMPREPLY=($(compgen -W \
		    "$(_anomaly_clients "${COMP_WORDS[0]}" "${dbs[@]}")" \
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
	--token-file|--admin-token-file|--key-file|-o|--output|\
	--read-token-file|--cacert|--tls-cert|--tls-key|--on-alert)
		COMPREPLY=($(compgen -f -- "$cur"))
		compopt -o filenames 2>/dev/null
		return 0 ;;
	-l|--listen|-u|--url|-w|--window|-t|--time-column|-v|--value-column|\
	--rate|--speed|--inflight|--retries|-n|--interval|--iterations|\
	--since|--until|--*-k|--ewma-*|--ma-m|--iforest-*|--min-points|\
	--holdoff|--max-*|--*-timeout|--batch-*|--snapshot-every|--retain*)
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
