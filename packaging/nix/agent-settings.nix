# The agent's settings as module options, shared by the NixOS module (packaging/nixos/agent.nix) and
# the nix-darwin one (packaging/darwin/agent.nix): the options, the environment they become (the
# variables of docs/agent.md) and the assertions that stop a configuration the agent would refuse.
{ lib }:
let
  inherit (lib) mkOption types;
  secretPath = import ./secret-path.nix;
  optionalEnv = name: value: lib.optionalAttrs (value != null) { ${name} = toString value; };
in
{
  options = {
    enable = lib.mkEnableOption "the NixFleet agent";
    package = mkOption {
      type = types.package;
      description = ''
        The package that provides `bin/nixfleet-agent`. The flake's modules default it to the
        flake's own build; set it when importing the module file directly.
      '';
    };
    url = mkOption {
      type = types.str;
      example = "wss://fleet.example.org/ws";
      description = "The dashboard's address: `ws://` or `wss://` (`http://` and `https://` work too). A bare host means `/ws`.";
    };
    tokenFile = mkOption {
      type = types.str;
      example = "/run/secrets/nixfleet-agent-token";
      description = ''
        Absolute path of a file that holds this host's agent token (or the shared one), read by the
        agent when it starts. A string, not a Nix path: the token must never be copied into the Nix store.
      '';
    };
    repoUrl = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "git@github.com:example/fleet.git";
      description = "Isolated mode: the agent keeps its own clone of this repository (pull = fetch and reset).";
    };
    repoDir = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "/etc/nixos";
      description = "The host's flake repository (with `repoUrl`: where the clone goes, by default in the state dir).";
    };
    branch = mkOption {
      type = types.str;
      default = "main";
      description = "The branch to follow.";
    };
    sshKeyFile = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "/run/secrets/nixfleet-deploy-key";
      description = "Absolute path of a private key for git over ssh, read at run time (a string, kept out of the store).";
    };
    interval = mkOption {
      type = types.either types.ints.positive types.str;
      default = "5s";
      example = "10s";
      description = "Heartbeat interval: a duration such as `5s`, or a number of seconds.";
    };
    hostname = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = "The host's name in the fleet (by default the system's hostname).";
    };
    location = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = "Shown by the dashboard.";
    };
    deviceType = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = "Shown by the dashboard (server, desktop, laptop, …).";
    };
    themeColor = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "#3366cc";
      description = "The host's colour in the dashboard, `#rrggbb`.";
    };
    tags = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "web" "prod" ];
      description = "The host's tags: shown, filterable, and usable as rollout targets.";
    };
    refreshInterval = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "15m";
      description = "How often git, lock and system are checked in the background (`off` for never); the agent's default when null.";
    };
    extraPackages = mkOption {
      type = types.listOf types.package;
      default = [ ];
      description = "More programs on the agent's PATH, for the host's tests (`hosts/<host>/tests/*.sh`).";
    };
    environment = mkOption {
      type = types.attrsOf types.str;
      default = { };
      example = { NIXFLEET_STOP_GRACE = "10s"; };
      description = "Further settings of docs/agent.md, as environment variables. Never put the token here: it would land in the Nix store.";
    };
  };

  # The agent's environment (docs/agent.md), from the options.
  environment =
    cfg:
    {
      NIXFLEET_URL = cfg.url;
      NIXFLEET_TOKEN_FILE = cfg.tokenFile;
      NIXFLEET_BRANCH = cfg.branch;
      NIXFLEET_INTERVAL = toString cfg.interval;
    }
    // optionalEnv "NIXFLEET_REPO_URL" cfg.repoUrl
    // optionalEnv "NIXFLEET_REPO_DIR" cfg.repoDir
    // optionalEnv "NIXFLEET_SSH_KEY" cfg.sshKeyFile
    // optionalEnv "NIXFLEET_HOSTNAME" cfg.hostname
    // optionalEnv "NIXFLEET_LOCATION" cfg.location
    // optionalEnv "NIXFLEET_DEVICE_TYPE" cfg.deviceType
    // optionalEnv "NIXFLEET_THEME_COLOR" cfg.themeColor
    // optionalEnv "NIXFLEET_REFRESH_INTERVAL" cfg.refreshInterval
    // lib.optionalAttrs (cfg.tags != [ ]) { NIXFLEET_TAGS = lib.concatStringsSep "," cfg.tags; }
    // cfg.environment;

  assertions =
    prefix: cfg:
    [
      {
        assertion = cfg.repoUrl != null || cfg.repoDir != null;
        message = "${prefix}: set repoUrl (the agent keeps its own clone) or repoDir (the host's flake repository)";
      }
      {
        assertion = !(cfg.environment ? NIXFLEET_TOKEN);
        message = "${prefix}.environment.NIXFLEET_TOKEN would put the token into the Nix store: use tokenFile";
      }
    ]
    ++ secretPath.assertions prefix { inherit (cfg) tokenFile sshKeyFile; };
}
