/** Where this installation of gitrepro lives (the shims record the launcher's absolute path). */
import { realpathSync } from 'node:fs';
import path from 'node:path';

export function packageRoot(): string {
  const entry = realpathSync(process.argv[1]);
  return path.dirname(path.dirname(entry));
}

export function launcherPath(): string {
  return path.join(packageRoot(), 'bin', 'gitrepro');
}

export function templateDir(): string {
  return path.join(packageRoot(), 'hooks');
}
