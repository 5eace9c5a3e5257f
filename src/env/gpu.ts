/**
 * NVIDIA GPUs through `nvidia-smi`. Two calls run in parallel:
 *
 *   nvidia-smi --query-gpu=index,name,uuid,driver_version,memory.total,compute_cap,pci.bus_id --format=csv
 *       → one CSV row per GPU, with a header naming the fields and their units:
 *         index, name, uuid, driver_version, memory.total [MiB], compute_cap, pci.bus_id
 *         0, NVIDIA H100 80GB HBM3, GPU-6c9b…, 580.159.04, 81559 MiB, 9.0, 00000000:00:06.0
 *   nvidia-smi
 *       → the status table, whose banner holds the CUDA version (no --query-gpu field does):
 *         | NVIDIA-SMI 580.159.04   Driver Version: 580.159.04   CUDA Version: 13.0 |
 *
 * The query is exactly the one captured in fixtures/gpu-h100/nvidia-smi-query.csv, so that file
 * is the verbatim answer to our call and a fake nvidia-smi can replay it. Columns are looked up
 * by header name (units stripped), so an added field or a `noheader,nounits` answer (parsed by
 * position) still works. `uuid` and `pci.bus_id` are read but never recorded: a GPU UUID
 * identifies one physical board, notes are public, and neither changes numerical results.
 */
import type { GpuDevice, GpuInfo } from '../record/env.js';
import type { Runner } from './probe.js';

/** The `--query-gpu` fields, in the order of the captured fixture (and of noheader output). */
export const GPU_QUERY_FIELDS = ['index', 'name', 'uuid', 'driver_version', 'memory.total', 'compute_cap', 'pci.bus_id'] as const;
/** argv of the device query; a fake nvidia-smi in tests matches on exactly this. */
export const GPU_QUERY_ARGS = [`--query-gpu=${GPU_QUERY_FIELDS.join(',')}`, '--format=csv'] as const;

/** Parsed query rows, keyed by field name; `[N/A]`-style values are dropped. */
export function parseGpuQueryCsv(csv: string): Record<string, string>[] {
  const lines = csv.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length === 0) return [];
  const first = lines[0].split(',').map((c) => c.trim());
  // A header cell is a bare field name; a data row never has a cell literally named so.
  const hasHeader = first.includes('name') || first.includes('index');
  const fields = hasHeader ? first.map((c) => c.replace(/\s*\[.*\]$/, '')) : [...GPU_QUERY_FIELDS];
  return lines.slice(hasHeader ? 1 : 0).map((line) => {
    const cells = line.split(',').map((c) => c.trim());
    const row: Record<string, string> = {};
    fields.forEach((f, i) => {
      const v = cells[i];
      if (v !== undefined && v !== '' && !/^\[?N\/A\]?$|^\[Not Supported\]$/i.test(v)) row[f] = v;
    });
    return row;
  });
}

/** Driver and CUDA versions from the banner of plain `nvidia-smi`. */
export function parseSmiBanner(table: string): { driver?: string; cuda?: string } {
  return {
    driver: /Driver Version:\s*([0-9][0-9.]*)/.exec(table)?.[1],
    cuda: /CUDA Version:\s*([0-9][0-9.]*)/.exec(table)?.[1],
  };
}

function toDevice(row: Record<string, string>, position: number): GpuDevice | undefined {
  if (row.name === undefined) return undefined;
  const index = Number.parseInt(row.index ?? '', 10);
  const mem = Number.parseInt((row['memory.total'] ?? '').replace(/\s*MiB$/i, ''), 10);
  const device: GpuDevice = { index: Number.isInteger(index) && index >= 0 ? index : position, name: row.name.slice(0, 256) };
  if (Number.isInteger(mem) && mem >= 0) device.memoryMiB = mem;
  if (row.compute_cap !== undefined) device.computeCap = row.compute_cap;
  return device; // uuid, pci.bus_id deliberately left out (see file comment)
}

/** GPU info, or undefined when nvidia-smi is absent, fails, hangs or lists no GPU. */
export async function collectGpu(run: Runner): Promise<GpuInfo | undefined> {
  const [query, table] = await Promise.all([run('nvidia-smi', GPU_QUERY_ARGS), run('nvidia-smi', [])]);
  if (!query) return undefined;
  const rows = parseGpuQueryCsv(query.stdout);
  const devices = rows.map(toDevice).filter((d): d is GpuDevice => d !== undefined);
  if (devices.length === 0) return undefined;
  const banner = table ? parseSmiBanner(table.stdout) : {};
  const gpu: GpuInfo = { count: devices.length, devices };
  const driver = rows.find((r) => r.driver_version)?.driver_version ?? banner.driver;
  if (driver !== undefined) gpu.driver = driver;
  if (banner.cuda !== undefined) gpu.cuda = banner.cuda;
  return gpu;
}
