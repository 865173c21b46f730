/**
 * Checks on the GitHub workflows (.github/workflows/ci.yml and deploy.yml), as pure functions of
 * their texts and package.json, so workflows.test.ts can also show each one failing on a broken copy.
 * What they guard: CI runs the project's checks on both Node versions and compiles the Bicep; the
 * deploy workflow authenticates with OpenID Connect, runs only for tags and by hand (never for pull
 * requests) and targets the `production` environment; every `npm run X` names a real script.
 */
import { parse as parseYaml } from "yaml";

type YamlValue = string | number | boolean | YamlValue[] | { [key: string]: YamlValue } | null;

export interface WorkflowTexts {
  readonly ci: string;
  readonly deploy: string;
  readonly packageJson: string;
  /** infra/main.parameters.json: the environment variables azd reads into Bicep parameters. */
  readonly parametersJson: string;
  readonly azureYaml: string;
}

type Mapping = { [key: string]: YamlValue };

const isMapping = (value: YamlValue | undefined): value is Mapping =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const asMapping = (value: YamlValue | undefined): Mapping => (isMapping(value) ? value : {});
const asList = (value: YamlValue | undefined): YamlValue[] => (Array.isArray(value) ? value : []);

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with: Mapping;
}

interface Job {
  readonly id: string;
  readonly body: Mapping;
  readonly steps: Step[];
}

interface Workflow {
  readonly on: Mapping;
  readonly permissions: Mapping;
  readonly jobs: Job[];
}

function readWorkflow(text: string): Workflow {
  const document = asMapping(parseYaml(text));
  // `on: push` and `on: [push, pull_request]` are valid too; normalise to a mapping.
  const on = document.on;
  const triggers: Mapping = isMapping(on)
    ? on
    : Object.fromEntries((Array.isArray(on) ? on : [on]).map((name) => [String(name), null]));
  const jobs = Object.entries(asMapping(document.jobs)).map(([id, body]) => ({
    id,
    body: asMapping(body),
    steps: asList(asMapping(body).steps).map((step) => {
      const fields = asMapping(step);
      return {
        ...(typeof fields.uses === "string" ? { uses: fields.uses } : {}),
        ...(typeof fields.run === "string" ? { run: fields.run } : {}),
        with: asMapping(fields.with),
      };
    }),
  }));
  return { on: triggers, permissions: asMapping(document.permissions), jobs };
}

/** Runs a check that needs the parsed workflow; a parse failure is itself the finding. */
function withWorkflow(text: string, name: string, check: (workflow: Workflow) => string[]): string[] {
  let workflow: Workflow;
  try {
    workflow = readWorkflow(text);
  } catch (error) {
    return [`${name}: ${(error as Error).message}`];
  }
  return check(workflow);
}

const runs = (job: Job): string[] => job.steps.flatMap((step) => (step.run === undefined ? [] : [step.run]));

/** Whether `commands` appear in this order among the job's run steps (each matched by a regex). */
function inOrder(job: Job, commands: readonly RegExp[]): RegExp | undefined {
  const lines = runs(job);
  let from = 0;
  for (const command of commands) {
    const index = lines.findIndex((line, position) => position >= from && command.test(line));
    if (index === -1) return command;
    from = index + 1;
  }
  return undefined;
}

/** The project's checks on Node 20 and 22, in the order a developer runs them. */
export function ciRunsProjectChecks(texts: WorkflowTexts): string[] {
  return withWorkflow(texts.ci, "ci.yml", (workflow) => {
    const found: string[] = [];
    if (!("push" in workflow.on) || !("pull_request" in workflow.on)) {
      found.push("ci.yml must run on push and pull_request");
    }
    const job = workflow.jobs.find((candidate) => runs(candidate).some((line) => /\bnpm ci\b/.test(line)));
    if (job === undefined) return [...found, "ci.yml has no job running `npm ci`"];
    const matrix = asMapping(asMapping(job.body.strategy).matrix);
    const versions = Object.values(matrix).flatMap((value) => asList(value).map(String));
    for (const version of ["20", "22"]) {
      if (!versions.includes(version)) found.push(`ci.yml job ${job.id} does not test Node ${version}`);
    }
    const setupNode = job.steps.find((step) => step.uses?.startsWith("actions/setup-node@"));
    if (!/\$\{\{\s*matrix\.\w+\s*\}\}/.test(String(setupNode?.with["node-version"] ?? ""))) {
      found.push(`ci.yml job ${job.id} must set up Node from the matrix`);
    }
    const missing = inOrder(job, [
      /^npm ci\b/m,
      /^npm run lint\b/m,
      /^npm run typecheck\b/m,
      /^npm test\b/m,
      /^npm run build\b/m,
    ]);
    if (missing !== undefined) {
      found.push(
        `ci.yml job ${job.id} must run npm ci, lint, typecheck, test, build in order (missing ${missing})`,
      );
    }
    return found;
  });
}

/** The Bicep compiler checks what the unit tests can only read as text. */
export function ciCompilesBicep(texts: WorkflowTexts): string[] {
  return withWorkflow(texts.ci, "ci.yml", (workflow) => {
    const all = workflow.jobs.flatMap(runs);
    const found: string[] = [];
    if (!all.some((line) => /\baz bicep build\b.*--file infra\/main\.bicep/.test(line))) {
      found.push("ci.yml must run `az bicep build --file infra/main.bicep`");
    }
    if (!all.some((line) => /\baz bicep lint\b.*--file infra\/main\.bicep/.test(line))) {
      found.push("ci.yml must run `az bicep lint --file infra/main.bicep`");
    }
    return found;
  });
}

/** Production deploys come from tags or a person, never from a pull request's code. */
export function deployTriggers(texts: WorkflowTexts): string[] {
  return withWorkflow(texts.deploy, "deploy.yml", (workflow) => {
    const found: string[] = [];
    for (const forbidden of ["pull_request", "pull_request_target"]) {
      if (forbidden in workflow.on) found.push(`deploy.yml must never run on ${forbidden}`);
    }
    const tags = asList(asMapping(workflow.on.push).tags).map(String);
    if (!tags.includes("v*")) found.push("deploy.yml must run on tags v*");
    const branches = asMapping(workflow.on.push).branches;
    if (branches !== undefined) found.push("deploy.yml must not deploy on branch pushes");
    if (!("workflow_dispatch" in workflow.on)) found.push("deploy.yml must allow workflow_dispatch");
    return found;
  });
}

/** OpenID Connect into Azure: an id token, read-only contents, no stored client secret. */
export function deployAuthentication(texts: WorkflowTexts): string[] {
  return withWorkflow(texts.deploy, "deploy.yml", (workflow) => {
    const found: string[] = [];
    if (workflow.permissions["id-token"] !== "write")
      found.push("deploy.yml needs permissions id-token: write");
    if (workflow.permissions.contents !== "read") found.push("deploy.yml needs permissions contents: read");
    const all = workflow.jobs.flatMap(runs);
    const login = all.find((line) => /\bazd auth login\b/.test(line));
    if (login === undefined || !/--federated-credential-provider\s+"?github"?/.test(login)) {
      found.push("deploy.yml must log in with `azd auth login --federated-credential-provider github`");
    }
    if (all.some((line) => /--client-secret|--client-certificate/.test(line))) {
      found.push("deploy.yml must not log in with a client secret or certificate");
    }
    return found;
  });
}

/** One job, in the production environment, provisioning before deploying, never prompting. */
export function deployToProduction(texts: WorkflowTexts): string[] {
  return withWorkflow(texts.deploy, "deploy.yml", (workflow) => {
    const job = workflow.jobs.find((candidate) =>
      runs(candidate).some((line) => /\bazd deploy\b/.test(line)),
    );
    if (job === undefined) return ["deploy.yml has no job running `azd deploy`"];
    const found: string[] = [];
    const environment = job.body.environment;
    const name = isMapping(environment) ? environment.name : environment;
    if (name !== "production") found.push(`deploy.yml job ${job.id} must use environment production`);
    const missing = inOrder(job, [
      /\bazd auth login\b/,
      /^azd provision --no-prompt\b/m,
      /^azd deploy --no-prompt\b/m,
    ]);
    if (missing !== undefined) {
      found.push(
        `deploy.yml job ${job.id} must log in, then azd provision --no-prompt, then azd deploy --no-prompt`,
      );
    }
    return found;
  });
}

/** Every `npm run X` (and `npm test`/`npm start`) in either workflow exists in package.json. */
export function npmScriptsExist(texts: WorkflowTexts): string[] {
  const scripts = Object.keys(
    (JSON.parse(texts.packageJson) as { scripts?: Record<string, string> }).scripts ?? {},
  );
  const found: string[] = [];
  for (const [name, text] of [
    ["ci.yml", texts.ci],
    ["deploy.yml", texts.deploy],
  ] as const) {
    found.push(
      ...withWorkflow(text, name, (workflow) => {
        const missing: string[] = [];
        for (const line of workflow.jobs.flatMap(runs)) {
          for (const match of line.matchAll(/\bnpm\s+(?:run(?:-script)?\s+([\w:.-]+)|(test|start)\b)/g)) {
            const script = match[1] ?? match[2] ?? "";
            if (!scripts.includes(script))
              missing.push(`${name} runs npm script '${script}', which package.json lacks`);
          }
        }
        return missing;
      }),
    );
  }
  return found;
}

/** Variables azd computes itself from the signed-in principal; a workflow must not set them. */
const AZD_COMPUTED = new Set(["AZURE_PRINCIPAL_ID", "AZURE_PRINCIPAL_TYPE"]);

/**
 * Every environment variable main.parameters.json reads reaches `azd provision` in the deploy job, and
 * `azd pipeline config` copies the deployment settings to GitHub (azure.yaml pipeline.variables);
 * otherwise a new parameter would silently take its default in production.
 */
export function deployPassesParameters(texts: WorkflowTexts): string[] {
  const names = [...texts.parametersJson.matchAll(/\$\{([A-Z0-9_]+)(?:=[^}]*)?\}/g)].map(
    (match) => match[1] ?? "",
  );
  const wanted = [...new Set(names)].filter((name) => !AZD_COMPUTED.has(name));
  const pipelineVariables = asList(asMapping(asMapping(parseYaml(texts.azureYaml)).pipeline).variables).map(
    String,
  );
  return withWorkflow(texts.deploy, "deploy.yml", (workflow) => {
    const job = workflow.jobs.find((candidate) =>
      runs(candidate).some((line) => /\bazd provision\b/.test(line)),
    );
    if (job === undefined) return ["deploy.yml has no job running `azd provision`"];
    const env = asMapping(job.body.env);
    const found: string[] = [];
    for (const name of wanted) {
      if (!(name in env))
        found.push(`deploy.yml job ${job.id} does not pass ${name} (read by main.parameters.json)`);
      if (!name.startsWith("AZURE_") && !pipelineVariables.includes(name)) {
        found.push(`azure.yaml pipeline.variables lacks ${name}, so azd pipeline config will not copy it`);
      }
    }
    for (const name of Object.keys(env)) {
      if (AZD_COMPUTED.has(name)) found.push(`deploy.yml sets ${name}, which azd computes from the login`);
    }
    return found;
  });
}

export const workflowChecks = {
  ciRunsProjectChecks,
  ciCompilesBicep,
  deployTriggers,
  deployAuthentication,
  deployToProduction,
  npmScriptsExist,
  deployPassesParameters,
} as const;
