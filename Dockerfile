# One image for every service of the platform; docker-compose.yml and
# deploy/kubernetes.yaml (both generated, scripts/deployment.ts) pick the entry
# point per service. Not built here (no container engine on the development
# machines); test/e2e/image.test.ts starts every service from exactly the files
# copied below.
FROM node:20-slim

WORKDIR /app

# Nothing is sent anywhere: Apollo telemetry off (every entry point also sets it).
ENV APOLLO_TELEMETRY_DISABLED=1 \
    DO_NOT_TRACK=1
# NODE_ENV is deliberately left unset: with NODE_ENV=production Apollo Server turns
# introspection off, and the gateway's own GraphiQL would lose its schema.

COPY package.json package-lock.json ./
# Runtime dependencies only (tsx runs the TypeScript; typescript/jest are dev tools).
# --ignore-scripts matches package.json "allowScripts" (every install script is
# unapproved) on the npm 10 that ships with node:20, which does not read allowScripts.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

COPY shared ./shared
COPY subgraphs ./subgraphs
COPY gateway ./gateway
COPY documents ./documents
COPY schema ./schema

USER node
ENTRYPOINT ["node", "--import", "tsx"]
CMD ["gateway/main.ts"]
