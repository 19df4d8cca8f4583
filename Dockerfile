# Node 24 LTS (supported into 2028); the npm package itself still runs on Node >= 20.19.
ARG NODE_IMAGE=node:24-bookworm-slim

# Build stage: compile TypeScript with the dev dependencies.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY sdk/package.json ./sdk/package.json
# --ignore-scripts: `prepare` (the build) would run before the sources are here.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY sdk ./sdk
COPY src ./src
COPY migrations ./migrations
COPY scripts ./scripts
COPY console ./console
# The service (tsc), then the console (types from the service's OpenAPI document, then vite) into dist/console.
RUN npm run build
# Production dependencies in a fresh tree. Not `npm prune --omit=dev`: npm 11 re-runs `prepare`
# there, and the compiler it needs is what prune removes.
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts

# Runtime stage: compiled code and production dependencies only, as the unprivileged `node` user.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production PORT=8080 DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/sdk/package.json ./sdk/package.json
# The embedded store (used when DATABASE_URL is unset) lives here: mount a volume on it.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8080
# On the configured port; the start period covers a first start that initialises a new embedded store.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--max-semi-space-size=8", "--max-old-space-size=160", "dist/src/cli.js", "serve", "--migrate"]
