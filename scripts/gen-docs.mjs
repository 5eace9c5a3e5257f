// Regenerates docs/gitrepro.schema.json from the zod config schema (a unit test keeps it in step).
import { writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const out = await build({ entryPoints: ['src/record/config.ts'], bundle: true, format: 'esm', platform: 'node', write: false });
const mod = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);
const { z } = await import('zod');
writeFileSync('docs/gitrepro.schema.json', JSON.stringify(z.toJSONSchema(mod.configSchema, { io: 'input' }), null, 2) + '\n');
console.log('wrote docs/gitrepro.schema.json');

// docs/commands/<name>.md: one page per command, from its --help (which a snapshot test pins).
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
const env = { ...process.env, NO_COLOR: '1', COLUMNS: '100' };
const top = execFileSync('bin/gitrepro', ['--help'], { encoding: 'utf8', env });
mkdirSync('docs/commands', { recursive: true });
for (const [, name, summary] of top.matchAll(/^ {2}gitrepro (\S+)\s+(.*)$/gm)) {
  const help = execFileSync('bin/gitrepro', [name, '--help'], { encoding: 'utf8', env });
  writeFileSync(`docs/commands/${name}.md`, `# gitrepro ${name}\n\n${summary}\n\n\`\`\`text\n${help.trimEnd()}\n\`\`\`\n`);
}
console.log('wrote docs/commands/*.md');
