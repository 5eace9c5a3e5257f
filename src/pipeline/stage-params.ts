/**
 * A stage's params: keys into params files, `train.lr` (the default params file) or
 * `conf/train.yaml:lr`. A key naming a section (`train`) takes every value under it. Only the
 * values a stage names enter its run key, so editing another key does not rerun it.
 */
import { GitreproError } from '../errors.js';
import { parseParams, readInWorkTree, type ParamValues } from '../workspace/params.js';
import { redactParams } from '../secrets.js';

const FILE_KEY = /^(.+\.(?:ya?ml|json)):(.+)$/;

export function splitParamKey(key: string, defaultFile: string): { file: string; key: string } {
  const m = FILE_KEY.exec(key);
  return m ? { file: m[1], key: m[2] } : { file: defaultFile, key };
}

/** Reads params files of a work tree once each (per instance). */
export class ParamsReader {
  private files = new Map<string, Promise<ParamValues | undefined>>();

  constructor(
    readonly root: string,
    readonly defaultFile: string,
  ) {}

  private file(name: string): Promise<ParamValues | undefined> {
    let p = this.files.get(name);
    if (!p) {
      // read only inside the work tree, and as a record would hold them (secrets redacted)
      p = readInWorkTree(this.root, name).then(
        (t) => (t === undefined ? undefined : (redactParams(parseParams(t.toString('utf8'), name)) as ParamValues)),
        () => undefined,
      );
      this.files.set(name, p);
    }
    return p;
  }

  /** The values of `keys` for stage `stage`, keyed as written. Throws GITREPRO_STAGE_INVALID. */
  async values(stage: string, keys: string[]): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const [i, raw] of keys.entries()) {
      const { file, key } = splitParamKey(raw, this.defaultFile);
      const values = await this.file(file);
      const fail = (msg: string) =>
        new GitreproError('GITREPRO_STAGE_INVALID', `stage ${JSON.stringify(stage)}: params.${i}: ${msg}`, {
          hint: `add it to ${file}, or fix the key (\`key\` for ${this.defaultFile}, \`file:key\` for another file)`,
          data: { stage, field: `params.${i}` },
        });
      if (!values) throw fail(`params file ${file} is missing`);
      if (key in values) {
        out[raw] = values[key];
        continue;
      }
      const section = Object.keys(values).filter((k) => k.startsWith(`${key}.`));
      if (section.length === 0) throw fail(`${key} is not in ${file}`);
      out[raw] = Object.fromEntries(section.sort().map((k) => [k.slice(key.length + 1), values[k]]));
    }
    return out;
  }
}
