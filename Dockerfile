# pkgproxy: one image for every role.
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY services ./services
COPY shared ./shared
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
ENV PROXY_DATA_DIR=/data PROXY_LISTEN=0.0.0.0:8080 NODE_ENV=production
VOLUME /data
EXPOSE 8080
USER node
ENTRYPOINT ["node", "dist/services/cli/main.js"]
CMD ["serve"]
