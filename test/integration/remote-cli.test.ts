/**
 * `gitrepro remote add|list|remove|default`: definitions in gitrepro.yaml (never credentials),
 * per-clone overrides in git config, and which remote a command picks.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TestRepo } from '../helpers/repo.js';

describe('gitrepro remote', () => {
  it('adds, lists, picks the default, and removes; definitions live in gitrepro.yaml', () => {
    const r = TestRepo.init();
    expect(r.gr(['remote', 'list']).stdout).toMatch(/no store remotes/);
    r.gr(['remote', 'add', 'team', '../store']);
    // the only remote is the default without saying so
    expect(r.grJson(['remote', 'list'])).toEqual([{ name: 'team', def: { url: '../store' }, source: 'gitrepro.yaml', overridden: [], default: true }]);
    r.gr(['remote', 'add', 'ceph', 's3://ml-data/vision', '--endpoint', 'http://127.0.0.1:7480', '--region', 'eu-1', '--default']);
    const yaml = r.read('gitrepro.yaml').toString();
    expect(yaml).toMatch(/remotes:\n  team:\n    url: \.\.\/store\n  ceph:\n    url: s3:\/\/ml-data\/vision\n    endpoint: http:\/\/127\.0\.0\.1:7480\n    region: eu-1\n/);
    expect(yaml).toMatch(/^default_remote: ceph$/m);
    expect(yaml).toMatch(/^# gitrepro project config/); // comments kept
    expect(r.gr(['remote', 'list']).stdout).toMatch(/^\* ceph\ts3:\/\/ml-data\/vision \(endpoint http:\/\/127\.0\.0\.1:7480, region eu-1\)  \[default\]$/m);
    r.gr(['remote', 'default', 'team']);
    expect(r.grJson(['remote', 'list']).find((x: any) => x.default).name).toBe('team');
    // per clone: git config picks another default and another url, gitrepro.yaml stays as it is
    r.gr(['remote', 'default', 'ceph', '--local']);
    r.git(['config', 'gitrepro.remote.team.url', '/mnt/usb/store']);
    const local = r.grJson(['remote', 'list']);
    expect(local.find((x: any) => x.default).name).toBe('ceph');
    expect(local.find((x: any) => x.name === 'team')).toMatchObject({ def: { url: '/mnt/usb/store' }, overridden: ['url'] });
    expect(r.read('gitrepro.yaml').toString()).toMatch(/^default_remote: team$/m);
    r.gr(['remote', 'remove', 'ceph']);
    expect(r.grJson(['remote', 'list']).map((x: any) => [x.name, x.default])).toEqual([['team', true]]);
    expect(r.read('gitrepro.yaml').toString()).not.toMatch(/ceph/);
  });

  it('refuses bad names, bad urls and credentials with a code and a hint', () => {
    const r = TestRepo.init();
    const bad: [string[], string, RegExp][] = [
      [['remote', 'add', 'x', 'https://user:hunter2@example.com/store'], 'GITREPRO_REMOTE_INVALID', /unsupported remote url scheme/],
      [['remote', 'add', 'x', 's3://AKIAEXAMPLE:hunter2@bucket/p'], 'GITREPRO_REMOTE_INVALID', /credentials do not belong/],
      [['remote', 'add', 'x', 'git@host:store'], 'GITREPRO_REMOTE_INVALID', /ssh location/],
      [['remote', 'add', 'x', '/srv/store', '--endpoint', 'http://h:1'], 'GITREPRO_REMOTE_INVALID', /endpoint applies only to s3/],
      [['remote', 'add', '-bad', '/srv/store'], 'GITREPRO_USAGE', /.*/],
      [['remote', 'add', 'a/b', '/srv/store'], 'GITREPRO_USAGE', /not a valid remote name/],
      [['remote', 'remove', 'nope'], 'GITREPRO_NO_REMOTE', /no store remote named "nope"/],
      [['remote', 'frob'], 'GITREPRO_USAGE', /unknown action/],
    ];
    for (const [args, code, text] of bad) {
      const res = r.gr(args, { ok: [1, 2] });
      expect(res.stderr, args.join(' ')).toMatch(new RegExp(`^error \\[${code}\\]`));
      expect(res.stderr, args.join(' ')).toMatch(text);
      expect(res.stderr).not.toContain('hunter2');
    }
    r.gr(['remote', 'add', 'x', '/srv/store']);
    expect(r.gr(['remote', 'add', 'x', '/srv/other'], { ok: [2] }).stderr).toMatch(/already exists/);
  });

  it('push and fetch name the remote to use, or say how to pick one', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.write('data/a', 'a\n');
    r.commit('one');
    expect(r.gr(['push'], { ok: [2] }).stderr).toMatch(/error \[GITREPRO_NO_REMOTE\]: no store remote is configured\nhint: add one/);
    r.gr(['remote', 'add', 'one', path.join(path.dirname(r.dir), 's1')]);
    r.write('gitrepro.yaml', `${r.read('gitrepro.yaml').toString()}`.replace(/remotes:\n/, `remotes:\n  two:\n    url: ${path.join(path.dirname(r.dir), 's2')}\n`));
    expect(r.gr(['push'], { ok: [2] }).stderr).toMatch(/2 store remotes are configured and none is the default/);
    expect(r.gr(['push', 'two']).stdout).toMatch(/store remote "two" .*1 object\(s\) uploaded/);
    // a relative directory url is relative to the repository root, wherever the command runs
    r.gr(['remote', 'add', 'rel', '../s3-rel']);
    r.write('sub/dir/.keep', '');
    expect(r.gr(['push', 'rel'], { cwd: r.path('sub/dir') }).stdout).toMatch(new RegExp(`\\(${path.join(path.dirname(r.dir), 's3-rel')}\\)`));
  });
});
