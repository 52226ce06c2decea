# openrouter-polling: a multi-stage image. The runtime stage holds production dependencies, the
# compiled server and the built dashboard, runs as the unprivileged `node` user, and keeps its SQLite
# database in the /app/data volume. scripts/container-smoke.ts performs these same steps outside Docker
# (test/integration/container-smoke.test.ts), so keep the two in step.
#
#   docker build -t openrouter-polling .
#   docker run -d -p 8000:8000 -v "$(pwd)/data:/app/data" --env-file .env --name orp openrouter-polling

ARG NODE_IMAGE=node:20-bookworm-slim

# --- toolchain: better-sqlite3 compiles itself when no prebuilt binary matches the platform -----------
FROM ${NODE_IMAGE} AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

# --- build: every dependency, then the TypeScript and the dashboard -------------------------------
FROM toolchain AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# --- deps: production dependencies only (native modules built here, not in the runtime image) -----
FROM toolchain AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# --- runtime -----------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    DB_CONNECTION_STRING_SQLITE=/app/data/openrouter_keys.db
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/admin-ui/dist ./admin-ui/dist
# The code stays root-owned and read-only for the service; only the data volume is writable.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME /app/data
EXPOSE 8000
# No curl in the slim image: node asks /healthz itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "require('http').get('http://127.0.0.1:'+(process.env.PORT||8000)+'/healthz',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
# SIGTERM starts a graceful shutdown of up to SHUTDOWN_GRACE_SECONDS: give `docker stop` more time (-t).
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js"]
