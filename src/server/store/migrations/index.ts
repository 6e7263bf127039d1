import type { Migration } from 'kysely';
import type { Dialect } from '../dialect.js';
import { accounts } from './001-accounts.js';
import { audit } from './002-audit.js';
import { labs } from './003-labs.js';
import { instances } from './004-instances.js';
import { stepProgress } from './005-step-progress.js';
import { installation } from './006-installation.js';
import { groups } from './007-groups.js';
import { shares } from './008-shares.js';
import { quotas } from './009-quotas.js';
import { labOwners } from './010-lab-owners.js';
import { instanceClock } from './011-instance-clock.js';
import { instanceProgress } from './012-instance-progress.js';

/** Every migration in order. Names are permanent: never rename or edit one that has shipped; add a new one. */
export function allMigrations(dialect: Dialect): Record<string, Migration> {
  return {
    '001-accounts': accounts(dialect),
    '002-audit': audit(dialect),
    '003-labs': labs(dialect),
    '004-instances': instances(dialect),
    '005-step-progress': stepProgress(dialect),
    '006-installation': installation(dialect),
    '007-groups': groups(dialect),
    '008-shares': shares(dialect),
    '009-quotas': quotas(dialect),
    '010-lab-owners': labOwners(dialect),
    '011-instance-clock': instanceClock(dialect),
    '012-instance-progress': instanceProgress(dialect),
  };
}
