# The NixFleet package: the dashboard, the agent and the `nixfleet` command (bin/nixfleet-dashboard,
# bin/nixfleet-agent, bin/nixfleet), built from the repository with npm.
#
# Reproducible from package-lock.json alone: importNpmLock fetches every dependency by the URL and the
# integrity hash the lockfile records, so there is no separate dependency hash to keep up to date.
# Built with nixpkgs' default Node.js (22 in NixOS 25.05; the package needs 20.19 or newer).
{
  lib,
  buildNpmPackage,
  importNpmLock,
}:
let
  root = ../..;
  packageJson = lib.importJSON (root + "/package.json");
in
buildNpmPackage {
  pname = packageJson.name;
  inherit (packageJson) version;

  # Only what the build reads and the package ships: a change to the tests, the benchmark or the
  # Nix modules (they come from the flake, not from the package) does not rebuild it.
  src = lib.fileset.toSource {
    inherit root;
    fileset = lib.fileset.unions [
      (root + "/package.json")
      (root + "/package-lock.json")
      (root + "/tsconfig.json")
      (root + "/tsconfig.build.json")
      (root + "/src")
      (root + "/scripts")
      (root + "/docs")
      (root + "/README.md")
      (root + "/OPERATIONS.md")
      (root + "/SECURITY.md")
      # For a launchd plist written by hand (packaging/launchd/org.nixfleet.agent.plist).
      (root + "/packaging/launchd")
    ];
  };

  npmDeps = importNpmLock { npmRoot = root; };
  npmConfigHook = importNpmLock.npmConfigHook;
  # `npm run build` (tsc, then esbuild for the web client) is the build; `npm pack`, which lists the
  # files to install, must not run it again through the prepare script.
  npmPackFlags = [ "--ignore-scripts" ];

  meta = {
    description = packageJson.description;
    license = lib.licenses.mit;
    mainProgram = "nixfleet";
    platforms = lib.platforms.linux ++ lib.platforms.darwin;
  };
}
