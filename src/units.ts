/** Quantities as people read them. A leaf: imports nothing. */

/** Bytes in binary units, one decimal: `1.5 KiB`, `390.7 MiB`; below 1 KiB exact: `512 B`. */
export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}
