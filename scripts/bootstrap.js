#!/usr/bin/env node
// `npm start`: installs dependencies when they are missing, then starts the
// platform. Plain JavaScript because it must run before anything is installed.
const { existsSync } = require('node:fs');
const { spawn, spawnSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');
if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
  console.log('installing dependencies (npm ci)…');
  const install = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (install.status !== 0) process.exit(install.status ?? 1);
}
const start = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'start.ts')], { cwd: root, stdio: 'inherit' });
// Pass Ctrl-C and termination on, so the platform stops cleanly.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => start.kill(signal));
start.on('exit', (code) => process.exit(code ?? 0));
