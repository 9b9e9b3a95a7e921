# SkyPanel: one image, one process type. Configure it only with environment variables
# (see .env.example); the same image runs web + jobs, web only or jobs only.
#
#   docker build -t skypanel .
#   docker run -p 3000:3000 -e DATABASE_URL=postgres://… -e ENCRYPTION_KEY=… \
#     -e SMTP_URL=smtp://… skypanel
#
# Without DATABASE_URL the container starts an embedded PostgreSQL in /app/data; mount a
# volume there (-v skypanel-data:/app/data) if you want that data to outlive the container.

ARG NODE_IMAGE=node:22-bookworm-slim

# ── Build: install everything, compile TypeScript to dist/, build CSS/JS assets ──
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# ── Runtime: production dependencies only, compiled JavaScript, views, built assets ──
# No TypeScript tooling (tsx, esbuild, typescript are devDependencies): the app is dist/.
FROM ${NODE_IMAGE} AS runtime
# NODE_COMPILE_CACHE (Node 22.1+): V8 keeps the compiled modules on disk, so a restart of the
# container's process skips compiling them again; older Node versions ignore it.
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NODE_COMPILE_CACHE=/tmp/skypanel-compile-cache
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY views ./views
COPY --from=build /app/static/build ./static/build
COPY --from=build /app/static/vendor ./static/vendor
# Code stays root-owned (read-only to the app); only the embedded database dir is writable.
RUN mkdir -p /app/data && chown node:node /app/data
USER node

EXPOSE 3000
# No curl in slim images: use Node's fetch. A jobs-only container (WEB_ENABLED=false) has no
# HTTP server, so it reports healthy while the process runs.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD node -e "const w=process.env.WEB_ENABLED;if(w==='false'||w==='0'||w==='no')process.exit(0);fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"

# Migrations run at start (under a lock); `node dist/scripts/migrate.js` runs them alone.
CMD ["node", "dist/src/main.js"]
