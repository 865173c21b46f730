import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseDocument, parse as parseYaml } from "yaml";
import { type WorkflowTexts, workflowChecks } from "./workflows.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const read = (file: string): string => readFileSync(path.join(root, file), "utf8");

const real: WorkflowTexts = {
  ci: read(".github/workflows/ci.yml"),
  deploy: read(".github/workflows/deploy.yml"),
  packageJson: read("package.json"),
  parametersJson: read("infra/main.parameters.json"),
  azureYaml: read("azure.yaml"),
};

/** YAML validity from the `yaml` package's strict parser: errors, not warnings, fail. */
function yamlErrors(text: string): string[] {
  return parseDocument(text, { strict: true, uniqueKeys: true }).errors.map((error) => error.message);
}

describe("workflow and azd files are valid YAML", () => {
  for (const file of [".github/workflows/ci.yml", ".github/workflows/deploy.yml", "azure.yaml"]) {
    it(`${file} parses as YAML`, () => {
      expect(yamlErrors(read(file))).toEqual([]);
    });
  }

  it("a syntax error is caught (the parse check can fail)", () => {
    const broken = real.deploy.replace(
      "permissions:\n  id-token: write",
      "permissions:\n  id-token: write\n contents: [",
    );
    expect(yamlErrors(broken)).not.toEqual([]);
  });
});

describe("azure.yaml", () => {
  it("deploys services.api as a TypeScript function app from the self-contained dist/", () => {
    const document = parseYaml(read("azure.yaml")) as { services?: { api?: Record<string, unknown> } };
    expect(document.services?.api).toMatchObject({
      project: ".",
      language: "ts",
      host: "function",
      dist: "dist",
    });
  });
});

describe("workflows do what the project needs", () => {
  for (const [name, check] of Object.entries(workflowChecks)) {
    it(`${name}: no problems`, () => {
      expect(check(real)).toEqual([]);
    });
  }
});

describe("each workflow check fails on a broken copy", () => {
  const brokenCi = (edit: (text: string) => string): WorkflowTexts => {
    const ci = edit(real.ci);
    expect(ci, "the edit changed nothing").not.toBe(real.ci);
    return { ...real, ci };
  };
  const brokenDeploy = (edit: (text: string) => string): WorkflowTexts => {
    const deploy = edit(real.deploy);
    expect(deploy, "the edit changed nothing").not.toBe(real.deploy);
    return { ...real, deploy };
  };
  const fails = (problems: string[], mention: string) => expect(problems.join("\n")).toContain(mention);

  it("ciRunsProjectChecks: Node 20 dropped from the matrix", () => {
    fails(
      workflowChecks.ciRunsProjectChecks(brokenCi((text) => text.replace("node: [20, 22]", "node: [22]"))),
      "Node 20",
    );
  });

  it("ciRunsProjectChecks: the typecheck step removed", () => {
    fails(
      workflowChecks.ciRunsProjectChecks(
        brokenCi((text) => text.replace("      - run: npm run typecheck\n", "")),
      ),
      "typecheck",
    );
  });

  it("ciCompilesBicep: no bicep lint", () => {
    fails(
      workflowChecks.ciCompilesBicep(brokenCi((text) => text.replace("az bicep lint", "az bicep version"))),
      "az bicep lint",
    );
  });

  it("deployTriggers: deploying pull requests", () => {
    fails(
      workflowChecks.deployTriggers(
        brokenDeploy((text) => text.replace("  workflow_dispatch:", "  workflow_dispatch:\n  pull_request:")),
      ),
      "never run on pull_request",
    );
  });

  it("deployTriggers: deploying every push to main", () => {
    fails(
      workflowChecks.deployTriggers(
        brokenDeploy((text) => text.replace('    tags:\n      - "v*"', "    branches:\n      - main")),
      ),
      "tags v*",
    );
  });

  it("deployAuthentication: no id-token permission", () => {
    fails(
      workflowChecks.deployAuthentication(
        brokenDeploy((text) => text.replace("id-token: write", "id-token: none")),
      ),
      "id-token: write",
    );
  });

  it("deployAuthentication: a stored client secret instead of OIDC", () => {
    fails(
      workflowChecks.deployAuthentication(
        brokenDeploy((text) =>
          text.replace("--federated-credential-provider github", '--client-secret "$AZURE_CLIENT_SECRET"'),
        ),
      ),
      "client secret",
    );
  });

  it("deployToProduction: another environment", () => {
    fails(
      workflowChecks.deployToProduction(
        brokenDeploy((text) => text.replace("environment: production", "environment: staging")),
      ),
      "environment production",
    );
  });

  it("deployToProduction: deploy without provisioning", () => {
    fails(
      workflowChecks.deployToProduction(
        brokenDeploy((text) => text.replace("azd provision --no-prompt", "azd env refresh")),
      ),
      "azd provision --no-prompt",
    );
  });

  it("deployPassesParameters: a parameter's variable not passed to azd provision", () => {
    fails(
      workflowChecks.deployPassesParameters(
        brokenDeploy((text) => text.replace(/^\s*MAXIMUM_INSTANCE_COUNT: .*\n/m, "")),
      ),
      "does not pass MAXIMUM_INSTANCE_COUNT",
    );
  });

  it("deployPassesParameters: a new parameter nobody wired into CI", () => {
    const parametersJson = real.parametersJson.replace(
      '"parameters": {',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: azd's ${VAR} substitution, not a JS template
      '"parameters": {\n    "alertEmail": { "value": "${ALERT_EMAIL}" },',
    );
    const problems = workflowChecks.deployPassesParameters({ ...real, parametersJson });
    fails(problems, "does not pass ALERT_EMAIL");
    fails(problems, "pipeline.variables lacks ALERT_EMAIL");
  });

  it("npmScriptsExist: a script package.json does not have", () => {
    fails(
      workflowChecks.npmScriptsExist(
        brokenCi((text) => text.replace("npm run typecheck", "npm run type-check")),
      ),
      "'type-check'",
    );
  });
});
