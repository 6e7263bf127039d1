import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { knownContainerImages, knownVmDisks } from './images.js';
import { bytesPattern, cpuPattern, durationPattern } from './quantities.js';

/**
 * The lab file format (docs/architecture.md §8) as a TypeBox schema, which is JSON Schema: the validator
 * compiles it, `GET /api/schema/lab.json` serves it to editors, and docs/lab.schema.json is a copy.
 *
 * Besides standard keywords the schema carries three that editors or our validator read:
 * `errorMessage` and `patternErrorMessage` (VS Code's JSON and YAML extensions show them instead
 * of their generic text; parseLab does the same) and `discriminator` (machines are one of two
 * shapes chosen by `type`, as in OpenAPI; Ajv uses it to report only the chosen shape's errors).
 */

export const labApiVersion = 'labhub.io/v1';

/** Defaults for everything optional; docs/writing-labs.md repeats them. */
export const labDefaults = {
  timeLimit: '2h',
  idleTimeout: '30m',
  maxInstancesPerUser: 1,
  egress: 'deny',
  cpu: 1,
  containerMemory: '512Mi',
  vmMemory: '1Gi',
  access: ['terminal'],
  checkTimeout: '30s',
} as const;

/** Lab files larger than this are refused before parsing. */
export const maxLabSourceBytes = 512 * 1024;
/** The longest a step check may run: a check is a quick test, not a job. */
export const maxCheckTimeoutSeconds = 600;
/** Less memory than this cannot start a container or a VM; a bare number here is usually a missing unit. */
export const minMemoryBytes = 16 * 1024 ** 2;

export const dnsLabelPattern = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const dnsLabelMessage = 'must be a DNS label: lower-case letters, digits and "-", starting and ending with a letter or digit';
/**
 * Machine names are DNS-1035 labels (a letter first): a machine's name is its host name and, on
 * Kubernetes, the name of its Service, which the API refuses when it starts with a digit.
 */
export const machineNamePattern = '^[a-z]([-a-z0-9]*[a-z0-9])?$';
const machineNameMessage = 'must start with a letter, then lower-case letters, digits and "-", ending with a letter or digit (it becomes a host name)';
const dnsSubdomainPattern = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** An OCI image reference: optional registry host[:port], path, optional tag, optional digest. */
export const imageReferencePattern =
  '^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*(:[0-9]{1,5})?/)?' +
  '[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*' +
  '(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@[a-z0-9]+([+._-][a-z0-9]+)*:[a-fA-F0-9]{32,})?$';
const imageReferenceMessage = 'must be a container image reference like labhub/shell or quay.io/org/image:tag';
export const envNamePattern = '^[A-Za-z_][A-Za-z0-9_]*$';
/** Usernames, as accounts have them (src/common/api.ts). */
export const usernamePattern = '^[a-z0-9][a-z0-9._-]{0,62}$';
/** Names of groups of users (a course, a class), as admins create them. */
export const groupNamePattern = '^[a-z0-9][a-z0-9._-]{0,62}$';
const httpUrlPattern = '^https?://[^\\s/?#]+[^\\s]*$';

function strict<T extends Parameters<typeof Type.Object>[0]>(properties: T, options: { description: string; [key: string]: unknown }) {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

/** A closed list of strings as a JSON Schema `enum` (editors complete it; errors list the values). */
function oneOfStrings<const T extends readonly string[]>(values: T, options: { description: string; [key: string]: unknown }): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

function dnsLabel(description: string) {
  return Type.String({ minLength: 1, maxLength: 63, pattern: dnsLabelPattern, patternErrorMessage: dnsLabelMessage, description });
}

function duration(description: string, defaultValue?: string) {
  return Type.String({
    pattern: durationPattern,
    errorMessage: 'must be a duration like 90m, 2h or 1h30m',
    description: `${description} A duration: a number with d, h, m or s, combined largest first, e.g. 90m, 2h, 1h30m, 45s.`,
    ...(defaultValue !== undefined && { default: defaultValue }),
  });
}

function size(description: string) {
  return Type.String({
    pattern: bytesPattern,
    errorMessage: 'must be a size like 512Mi or 1Gi',
    description: `${description} A size with a unit: Ki, Mi, Gi, Ti (powers of 1024) or k, M, G, T (powers of 1000), e.g. 512Mi, 1Gi.`,
  });
}

const cpuMessage = 'must be a CPU amount like 1, 0.5 or 500m';
const port = (description: string) => Type.Integer({ minimum: 1, maximum: 65535, description });

export const LabMetadata = strict(
  {
    name: dnsLabel('Unique name of the lab, used in URLs and in the names of its instances: a DNS label, at most 63 characters.'),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Title shown in the catalog. Default: the name.' })),
    description: Type.Optional(Type.String({ maxLength: 5000, description: 'A few sentences for the catalog: what the learner will do.' })),
    tags: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 40, description: 'A tag, e.g. networking or beginner.' }), {
        uniqueItems: true,
        maxItems: 20,
        description: 'Words to filter the catalog by.',
      }),
    ),
    authors: Type.Optional(
      Type.Array(
        Type.String({
          minLength: 1,
          maxLength: 63,
          pattern: usernamePattern,
          patternErrorMessage: 'must be a username: lower-case letters, digits, ".", "_" and "-", starting with a letter or digit',
          description: 'The username of an author (or admin) account.',
        }),
        {
          uniqueItems: true,
          maxItems: 50,
          description:
            "Who may change the lab, read its versions and learners' progress, and watch learners' instances, besides admins. A lab file without authors belongs to admins only; a lab created in labhub also belongs to whoever created it, who alone changes this list.",
        },
      ),
    ),
  },
  { description: 'Name and catalog entry of the lab.' },
);

export const LabLimits = strict(
  {
    timeLimit: Type.Optional(duration('How long the machines of an instance may run (stopped time does not count) before labhub stops it; learners can extend it up to three times this in all.', labDefaults.timeLimit)),
    idleTimeout: Type.Optional(duration('How long an instance may sit with no terminal or desktop open before labhub stops it.', labDefaults.idleTimeout)),
    maxInstancesPerUser: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, default: labDefaults.maxInstancesPerUser, description: 'How many instances of this lab one user may have at the same time.' }),
    ),
  },
  { description: `Limits of each instance. Defaults: timeLimit ${labDefaults.timeLimit}, idleTimeout ${labDefaults.idleTimeout}, maxInstancesPerUser 1.` },
);

export const LabNetwork = strict(
  {
    egress: Type.Optional(
      oneOfStrings(['allow', 'deny'], {
        default: labDefaults.egress,
        description: 'allow: machines may reach the internet; deny: only each other (and labhub). Machines of one instance always reach each other by name.',
      }),
    ),
  },
  { description: 'The private network of each instance.' },
);

export const LabResources = strict(
  {
    cpu: Type.Optional(
      Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.String({ pattern: cpuPattern, patternErrorMessage: cpuMessage })], {
        errorMessage: cpuMessage,
        description: 'CPU cores: 1, 0.5 or 500m (millicores). Default: 1.',
      }),
    ),
    memory: Type.Optional(size(`Memory. Default: ${labDefaults.containerMemory} for a container, ${labDefaults.vmMemory} for a VM.`)),
    disk: Type.Optional(size('Disk space: the size of a VM\'s disk, or the writable space of a container. Default: the runtime\'s.')),
  },
  { description: 'What the machine may use.' },
);

export const LabAccess = Type.Union(
  [
    oneOfStrings(['terminal', 'desktop'], {
      errorMessage: 'must be terminal, desktop or {http: PORT}',
      description: 'terminal: a shell (a VM\'s serial console); desktop: the graphical screen over VNC.',
    }),
    strict({ http: port('A TCP port of a web application in the machine, opened through labhub.') }, { description: 'A web application inside the machine.' }),
  ],
  { errorMessage: 'must be terminal, desktop or {http: PORT}', description: 'One way the learner reaches the machine: terminal, desktop or {http: PORT}.' },
);

const LabCredential = strict(
  {
    username: Type.String({ minLength: 1, maxLength: 200, description: 'User name to log in with.' }),
    password: Type.Optional(Type.String({ maxLength: 200, description: 'Password of that user, if it has one.' })),
  },
  { description: 'A login the learner needs.' },
);

const machineCommon = {
  name: Type.String({
    minLength: 1,
    maxLength: 63,
    pattern: machineNamePattern,
    patternErrorMessage: machineNameMessage,
    description: 'Name of the machine: its host name on the lab network and its tab in the workspace. Starts with a letter; lower-case letters, digits and "-"; unique in the lab.',
  }),
  resources: Type.Optional(LabResources),
  access: Type.Optional(
    Type.Array(LabAccess, { maxItems: 20, default: [...labDefaults.access], description: 'How the learner reaches this machine. Default: [terminal].' }),
  ),
  env: Type.Optional(
    Type.Unsafe<Record<string, string>>({
      type: 'object',
      propertyNames: {
        pattern: envNamePattern,
        patternErrorMessage: 'is not a valid environment variable name: letters, digits and _, not starting with a digit',
      },
      additionalProperties: Type.String({ maxLength: 32768, description: 'The value; quote numbers and true/false.' }),
      maxProperties: 200,
      description: 'Environment variables of the machine: NAME: value.',
    }),
  ),
  credentials: Type.Optional(
    Type.Union([LabCredential, Type.Array(LabCredential, { minItems: 1, maxItems: 20 })], {
      errorMessage: 'must be {username, password} or a list of them',
      description: 'Logins shown to the learner beside the machine: {username, password} or a list of them.',
    }),
  ),
};

export const LabContainerMachine = strict(
  {
    ...machineCommon,
    type: Type.Literal('container', { description: 'container: a container from an image; vm: a virtual machine from a disk.' }),
    image: Type.String({ minLength: 1, maxLength: 255, pattern: imageReferencePattern, patternErrorMessage: imageReferenceMessage, description: `Container image: one of labhub's (${Object.entries(knownContainerImages).map(([name, image]) => `${name}: ${image.description}`).join('; ')}) or any image reference.` }),
    vncPort: Type.Optional(
      port('Port of a VNC server (no password) that the image runs, for an image labhub does not know; needed for desktop access. labhub/desktop needs none.'),
    ),
  },
  { description: 'A container machine.' },
);

export const LabVmDisk = strict(
  {
    image: Type.Optional(
      Type.String({ minLength: 1, maxLength: 63, pattern: dnsLabelPattern, patternErrorMessage: dnsLabelMessage, description: `A VM disk labhub builds, by name (${Object.entries(knownVmDisks).map(([name, disk]) => `${name}: ${disk.description}`).join('; ')}).` }),
    ),
    containerDisk: Type.Optional(
      Type.String({ minLength: 1, maxLength: 255, pattern: imageReferencePattern, patternErrorMessage: imageReferenceMessage, description: 'A KubeVirt containerDisk image holding the disk under /disk/ (Kubernetes runtime).' }),
    ),
    url: Type.Optional(Type.String({ maxLength: 2048, pattern: httpUrlPattern, patternErrorMessage: 'must be an http:// or https:// URL', description: 'An http(s) URL of a disk image that CDI imports (Kubernetes runtime).' })),
    pvc: Type.Optional(
      Type.String({ minLength: 1, maxLength: 253, pattern: dnsSubdomainPattern, patternErrorMessage: 'must be a Kubernetes object name', description: 'A PersistentVolumeClaim to clone the disk from (Kubernetes runtime).' }),
    ),
  },
  {
    minProperties: 1,
    maxProperties: 1,
    errorMessage: 'must name exactly one disk source: {image: …}, {containerDisk: …}, {url: …} or {pvc: …}',
    description: 'Where the VM\'s disk comes from: exactly one of image, containerDisk, url, pvc.',
  },
);

export const LabVmMachine = strict(
  {
    ...machineCommon,
    type: Type.Literal('vm', { description: 'container: a container from an image; vm: a virtual machine from a disk.' }),
    disk: LabVmDisk,
    cloudInit: Type.Optional(
      strict(
        { userData: Type.String({ maxLength: 65536, description: 'cloud-init user data, e.g. starting with #cloud-config.' }) },
        { description: 'cloud-init configuration given to the VM (NoCloud).' },
      ),
    ),
  },
  { description: 'A virtual machine.' },
);

export type LabContainerMachine = Static<typeof LabContainerMachine>;
export type LabVmMachine = Static<typeof LabVmMachine>;

export const LabMachine = Type.Unsafe<LabContainerMachine | LabVmMachine>({
  type: 'object',
  required: ['type'],
  discriminator: { propertyName: 'type' },
  oneOf: [LabContainerMachine, LabVmMachine],
  description: 'A machine of the lab: type container (with image) or type vm (with disk).',
});

export const LabCheck = strict(
  {
    machine: dnsLabel('The machine to run the check on.'),
    run: Type.String({ minLength: 1, maxLength: 10000, description: 'A shell command (sh -c); exit status 0 means the step is done.' }),
    timeout: Type.Optional(duration('How long the check may run, at most 10m.', labDefaults.checkTimeout)),
  },
  { description: 'How labhub tells that the learner finished the step.' },
);

export const LabStep = strict(
  {
    title: Type.String({ minLength: 1, maxLength: 200, description: 'Title of the step.' }),
    body: Type.Optional(
      Type.String({
        maxLength: 100000,
        description:
          'Markdown. Fenced code blocks get Copy and Run (Run types the block into a terminal: the machine named by a run:<machine> word of the info string, else the selected one). ' +
          'Variables: {{machines.<machine>.host}}, {{user.username}}, {{credentials.<machine>.username}}, {{credentials.<machine>.password}}, {{apps.<machine>.<port>}}; \\{{ for literal braces.',
      }),
    ),
    check: Type.Optional(LabCheck),
  },
  { description: 'One step of the instructions.' },
);

export const LabGuide = strict(
  {
    gated: Type.Optional(Type.Boolean({ default: false, description: 'true: a step opens only once the checks of the steps before it passed. Default: false (the learner pages freely).' })),
  },
  { description: 'How the learner moves through the instructions.' },
);

export const LabSpec = strict(
  {
    limits: Type.Optional(LabLimits),
    network: Type.Optional(LabNetwork),
    groups: Type.Optional(
      Type.Array(
        Type.String({
          minLength: 1,
          maxLength: 63,
          pattern: groupNamePattern,
          patternErrorMessage: 'must be a group name: lower-case letters, digits, ".", "_" and "-", starting with a letter or digit',
          description: 'The name of a group of users, as an admin created it.',
        }),
        {
          uniqueItems: true,
          maxItems: 100,
          description: 'Only members of these groups see and start the lab (admins and the lab\'s owner and authors always do). Default: everyone.',
        },
      ),
    ),
    machines: Type.Array(LabMachine, { minItems: 1, maxItems: 20, description: 'The machines of each instance, 1 to 20.' }),
    instructions: Type.Optional(Type.Array(LabStep, { maxItems: 100, description: 'Steps shown beside the machines, in order.' })),
    guide: Type.Optional(LabGuide),
  },
  { description: 'What each instance of the lab is made of.' },
);

export const LabDocument = strict(
  {
    apiVersion: Type.Literal(labApiVersion, { description: `Always ${labApiVersion}.` }),
    kind: Type.Literal('Lab', { description: 'Always Lab.' }),
    metadata: LabMetadata,
    spec: LabSpec,
  },
  { title: 'labhub lab', description: 'A labhub lab: machines on a private network, limits and instructions. See docs/writing-labs.md.' },
);

/** A lab file's content once it matches the schema (before defaults and unit conversion). */
export type LabDocument = Static<typeof LabDocument>;

/** The schema as a plain JSON Schema (draft-07) document, as editors and Ajv read it. */
export function labJsonSchema(): Record<string, unknown> {
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...(JSON.parse(JSON.stringify(LabDocument as TSchema)) as Record<string, unknown>) };
}

/** The exact text of docs/lab.schema.json. */
export function labJsonSchemaText(): string {
  return `${JSON.stringify(labJsonSchema(), null, 2)}\n`;
}
