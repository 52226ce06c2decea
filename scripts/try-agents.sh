#!/usr/bin/env bash
# Manual check (not part of npm test): Claude Code and Codex CLI, installed from npm into a temporary
# folder (never into the project's dependencies; about 235 MB and 424 MB), answer through the pool
# against the test mock, offline:
#   1. starts the mock OpenRouter (scripts/mock-upstream.ts) and the proxy in front of it;
#   2. runs `claude -p` with ANTHROPIC_BASE_URL=http://127.0.0.1:<port>/api (Anthropic Messages);
#   3. runs `codex exec` with a provider in a temporary CODEX_HOME/config.toml (wire_api = "responses").
#
#   scripts/try-agents.sh                  # everything in a fresh temporary folder
#   AGENTS_DIR=/tmp/agents scripts/try-agents.sh   # reuse an earlier install
#
# Exit status 0 when both CLIs printed the mock's answer.
set -uo pipefail
cd "$(dirname "$0")/.."

WORK=$(mktemp -d /tmp/try-agents.XXXXXX)
AGENTS_DIR=${AGENTS_DIR:-$WORK/agents}
MOCK_PORT=${MOCK_PORT:-18999}
PROXY_PORT=${PROXY_PORT:-18000}
POOL_KEY="sk-or-v1-$(printf 'try-agents' | sha256sum | cut -c1-64)"
ANSWER='Hello from the pool'
CLIENT_KEY=try-agents-client-key   # the proxy's APP_API_KEY: what the agents send, never a pool key
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT

echo "== installing @anthropic-ai/claude-code and @openai/codex into $AGENTS_DIR"
if [ ! -x "$AGENTS_DIR/node_modules/.bin/claude" ] || [ ! -x "$AGENTS_DIR/node_modules/.bin/codex" ]; then
  mkdir -p "$AGENTS_DIR"
  (cd "$AGENTS_DIR" && npm init -y >/dev/null && npm install --no-audit --no-fund @anthropic-ai/claude-code @openai/codex) || { echo "npm install failed"; exit 1; }
fi
BIN="$AGENTS_DIR/node_modules/.bin"

echo "== starting the mock upstream on :$MOCK_PORT and the proxy on :$PROXY_PORT"
for port in "$MOCK_PORT" "$PROXY_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "port $port is in use: set MOCK_PORT / PROXY_PORT"; exit 1; fi
done
node --import tsx scripts/mock-upstream.ts --port "$MOCK_PORT" --chunks "Hello, from, the, pool" --no-tools --quiet --log-requests > "$WORK/mock.log" 2>&1 &
PIDS+=($!)
PORT=$PROXY_PORT HOST=127.0.0.1 DB_CONNECTION_STRING_SQLITE="$WORK/pool.db" ADMIN_PASSWORD=try-agents-admin \
  OPENROUTER_BASE_URL="http://127.0.0.1:$MOCK_PORT/api/v1" OPENROUTER_API_KEYS="$POOL_KEY" APP_API_KEY="$CLIENT_KEY" LOG_LEVEL=info \
  node --import tsx src/main.ts > "$WORK/proxy.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PROXY_PORT/readyz" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$PROXY_PORT/readyz" >/dev/null || { echo "the proxy did not start:"; cat "$WORK/proxy.log"; exit 1; }

status=0
claude_p() { # $1: how Claude Code sends the key (ANTHROPIC_AUTH_TOKEN: Bearer; ANTHROPIC_API_KEY: x-api-key)
  local token="" apikey=""
  if [ "$1" = ANTHROPIC_AUTH_TOKEN ]; then token=$CLIENT_KEY; else apikey=$CLIENT_KEY; fi
  echo "== claude -p (Anthropic Messages via ANTHROPIC_BASE_URL=http://127.0.0.1:$PROXY_PORT/api, key in $1)"
  CLAUDE_OUT=$(HOME="$WORK/home" ANTHROPIC_BASE_URL="http://127.0.0.1:$PROXY_PORT/api" ANTHROPIC_AUTH_TOKEN="$token" ANTHROPIC_API_KEY="$apikey" \
    ANTHROPIC_MODEL=anthropic/claude-haiku-4.5 ANTHROPIC_SMALL_FAST_MODEL=anthropic/claude-haiku-4.5 \
    DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
    timeout 180 "$BIN/claude" -p "Say hello" </dev/null 2>&1)
  echo "$CLAUDE_OUT"
  if [[ "$CLAUDE_OUT" == *"$ANSWER"* ]]; then echo "-> claude ($1): OK"; else echo "-> claude ($1): FAILED"; status=1; fi
}
claude_p ANTHROPIC_AUTH_TOKEN
claude_p ANTHROPIC_API_KEY

echo "== codex exec (OpenAI Responses, wire_api = \"responses\")"
export CODEX_HOME="$WORK/codex-home"
mkdir -p "$CODEX_HOME"
cat > "$CODEX_HOME/config.toml" <<TOML
model = "openai/gpt-4o-mini"
model_provider = "pool"

[model_providers.pool]
name = "openrouter-polling"
base_url = "http://127.0.0.1:$PROXY_PORT/v1"
env_key = "POOL_API_KEY"
wire_api = "responses"
TOML
CODEX_OUT=$(POOL_API_KEY="$CLIENT_KEY" timeout 180 "$BIN/codex" exec --skip-git-repo-check "Say hello" </dev/null 2>&1)
echo "$CODEX_OUT"
if [[ "$CODEX_OUT" == *"$ANSWER"* ]]; then echo "-> codex: OK"; else echo "-> codex: FAILED"; status=1; fi

echo "== what reached the mock (through the proxy, with the pool key)"
sleep 0.3
grep '^request:' "$WORK/mock.log"
echo "== what the mock and the proxy logged are in $WORK (mock.log, proxy.log)"
grep -c '"upstream attempt failed' "$WORK/proxy.log" 2>/dev/null | sed 's/^/failed upstream attempts logged: /'
exit $status
