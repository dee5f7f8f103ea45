#!/usr/bin/env bash
# Health check for cron or a monitoring agent (the manual's /opt/loka-stratum/monitor.sh).
#
#   monitor.sh                      # one check; exit 0 OK, 1 WARNING, 2 CRITICAL
#   */5 * * * * LOG_FILE=/var/log/loka-stratum/health.log /opt/loka-stratum/monitor.sh
#
# Checks GET /health (reachable, status, every service), that the metrics endpoint serves
# loka_stratum_connections_total, and thresholds:
#   MAX_CONNECTION_PERCENT  connections in use vs the cap (default 90)
#   MAX_MEMORY_MB           resident memory (default: not checked)
#   MAX_CPU_PERCENT         CPU, 100 = one core (default: not checked)
# Every finding is printed (and appended to LOG_FILE when set); ALERT_EMAIL, when set, gets
# WARNING and CRITICAL results through mail(1).
# Needs curl and jq.
set -euo pipefail

HEALTH_URL="${HEALTH_URL:-http://localhost:9090/health}"
METRICS_URL="${METRICS_URL:-http://localhost:9090/metrics/prometheus}"
MAX_CONNECTION_PERCENT="${MAX_CONNECTION_PERCENT:-90}"
MAX_MEMORY_MB="${MAX_MEMORY_MB:-}"
MAX_CPU_PERCENT="${MAX_CPU_PERCENT:-}"
LOG_FILE="${LOG_FILE:-}"
ALERT_EMAIL="${ALERT_EMAIL:-}"

worst=0
findings=()

LEVELS=(OK WARNING CRITICAL)

note() { # LEVEL(0 ok, 1 warning, 2 critical) MESSAGE
    findings+=("${LEVELS[$1]}: $2")
    if [ "$1" -gt "$worst" ]; then
        worst="$1"
    fi
}

report() {
    local stamp line
    stamp="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    for line in "${findings[@]}"; do
        echo "$line"
        if [ -n "$LOG_FILE" ]; then
            echo "$stamp $line" >>"$LOG_FILE"
        fi
    done
    if [ "$worst" -gt 0 ] && [ -n "$ALERT_EMAIL" ] && command -v mail >/dev/null; then
        printf '%s\n' "${findings[@]}" | mail -s "Loka Stratum health: ${LEVELS[$worst]}" "$ALERT_EMAIL"
    fi
    exit "$worst"
}

for tool in curl jq; do
    command -v "$tool" >/dev/null || {
        echo "CRITICAL: monitor.sh needs $tool"
        exit 2
    }
done

body="$(mktemp)"
trap 'rm -f "$body"' EXIT
if ! code="$(curl -s --max-time 10 -o "$body" -w '%{http_code}' "$HEALTH_URL")"; then
    note 2 "cannot reach $HEALTH_URL (connection failed or timed out)"
    report
fi
if ! jq -e 'type == "object" and has("status")' "$body" >/dev/null 2>&1; then
    note 2 "$HEALTH_URL answered HTTP $code without a health report"
    report
fi

status="$(jq -r '.status' "$body")"
down="$(jq -r '.services | to_entries | map(select(.value != "healthy") | "\(.key)=\(.value)") | join(", ")' "$body")"
case "$status" in
    healthy) ;;
    degraded) note 1 "status degraded (HTTP $code): ${down:-no service named}" ;;
    *) note 2 "status $status (HTTP $code): ${down:-no service named}" ;;
esac

# Read the whole exposition before grepping: `curl | grep -q` under pipefail fails when grep
# stops reading at the first match and curl gets SIGPIPE.
metrics="$(curl -sf --max-time 10 "$METRICS_URL" || true)"
if ! grep -q '^loka_stratum_connections_total' <<<"$metrics"; then
    note 1 "metrics endpoint $METRICS_URL does not serve loka_stratum_connections_total"
fi

active="$(jq -r '.connections.active' "$body")"
max="$(jq -r '.connections.max' "$body")"
if [ "$max" -gt 0 ] && [ $((active * 100 / max)) -gt "$MAX_CONNECTION_PERCENT" ]; then
    note 1 "connections at $((active * 100 / max))% of the cap ($active/$max)"
fi

memory_mb=$(($(jq -r '.memory_usage' "$body") / 1048576))
if [ -n "$MAX_MEMORY_MB" ] && [ "$memory_mb" -gt "$MAX_MEMORY_MB" ]; then
    note 1 "memory ${memory_mb} MB over MAX_MEMORY_MB=$MAX_MEMORY_MB"
fi

cpu="$(jq -r '.cpu_usage | floor' "$body")"
if [ -n "$MAX_CPU_PERCENT" ] && [ "$cpu" -gt "$MAX_CPU_PERCENT" ]; then
    note 1 "CPU ${cpu}% over MAX_CPU_PERCENT=$MAX_CPU_PERCENT"
fi

if [ "$worst" -eq 0 ]; then
    note 0 "$(jq -r '"status \(.status), version \(.version), up \(.uptime), connections \(.connections.active)/\(.connections.max)"' "$body")"
fi
report
