// A test seam, loaded into a gitrepro process with NODE_OPTIONS=--import (see killAfterBytes in
// remote.ts): it counts the bytes the process writes to files and sockets and SIGKILLs the process
// once GITREPRO_TEST_KILL_AFTER_BYTES have gone, like a machine losing power in the middle of a
// transfer (no cleanup runs). Production code knows nothing of it.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

const limit = Number(process.env.GITREPRO_TEST_KILL_AFTER_BYTES);
if (Number.isFinite(limit)) {
  delete process.env.GITREPRO_TEST_KILL_AFTER_BYTES; // children (git, the flusher) are not counted
  let written = 0;
  const count = (n) => {
    written += n;
    if (written >= limit) process.kill(process.pid, 'SIGKILL');
  };
  const size = (x) => (typeof x === 'string' ? Buffer.byteLength(x) : x?.byteLength ?? 0);
  const fh = await fs.promises.open('/dev/null', 'r');
  const FileHandle = Object.getPrototypeOf(fh);
  await fh.close();
  const { write, writev } = FileHandle;
  FileHandle.write = async function (buf, ...rest) {
    const r = await write.call(this, buf, ...rest);
    count(r.bytesWritten);
    return r;
  };
  FileHandle.writev = async function (bufs, ...rest) {
    const r = await writev.call(this, bufs, ...rest);
    count(r.bytesWritten);
    return r;
  };
  const writeSync = fs.writeSync;
  fs.writeSync = function (...args) {
    const n = writeSync.apply(this, args);
    count(n);
    return n;
  };
  syncBuiltinESMExports(); // `import { writeSync } from 'node:fs'` sees the counting one too
  const sockWrite = net.Socket.prototype.write;
  net.Socket.prototype.write = function (chunk, ...rest) {
    const r = sockWrite.call(this, chunk, ...rest);
    count(size(chunk));
    return r;
  };
}
