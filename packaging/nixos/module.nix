# NixOS module for the NixFleet agent. Import it from the fleet flake and set, for example:
#
#   services.nixfleet-agent = {
#     enable = true;
#     package = nixfleet.packages.${pkgs.system}.nixfleet-agent;  # however the flake builds it
#     url = "wss://fleet.example.org/ws";
#     tokenFile = "/run/secrets/nixfleet-agent-token";
#     repoUrl = "git@github.com:example/fleet.git";
#     sshKeyFile = "/run/secrets/nixfleet-deploy-key";
#     location = "home"; deviceType = "server"; themeColor = "#3366cc";
#   };
{ config, lib, pkgs, ... }:
let
  cfg = config.services.nixfleet-agent;
  optionalEnv = name: value: lib.optionalAttrs (value != null) { ${name} = toString value; };
in
{
  options.services.nixfleet-agent = {
    enable = lib.mkEnableOption "the NixFleet agent";
    package = lib.mkOption {
      type = lib.types.package;
      description = "The package that provides bin/nixfleet-agent.";
    };
    url = lib.mkOption { type = lib.types.str; description = "Dashboard address, ws:// or wss://."; };
    tokenFile = lib.mkOption { type = lib.types.path; description = "File that holds the dashboard's agent token."; };
    repoUrl = lib.mkOption { type = lib.types.nullOr lib.types.str; default = null; description = "Isolated mode: the agent keeps its own clone of this repository."; };
    repoDir = lib.mkOption { type = lib.types.nullOr lib.types.str; default = null; description = "The flake repository (the clone's place in isolated mode)."; };
    branch = lib.mkOption { type = lib.types.str; default = "main"; };
    sshKeyFile = lib.mkOption { type = lib.types.nullOr lib.types.path; default = null; };
    interval = lib.mkOption { type = lib.types.int; default = 5; description = "Heartbeat seconds."; };
    hostname = lib.mkOption { type = lib.types.str; default = config.networking.hostName; };
    location = lib.mkOption { type = lib.types.nullOr lib.types.str; default = null; };
    deviceType = lib.mkOption { type = lib.types.nullOr lib.types.str; default = null; };
    themeColor = lib.mkOption { type = lib.types.nullOr lib.types.str; default = null; };
  };

  config = lib.mkIf cfg.enable {
    systemd.services.nixfleet-agent = {
      description = "NixFleet agent";
      wantedBy = [ "multi-user.target" ];
      wants = [ "network-online.target" ];
      after = [ "network-online.target" ];
      # The switch the agent runs activates this very configuration: activation must not restart
      # or stop the agent under it. The agent restarts itself (exit 101) once the switch is reported.
      restartIfChanged = false;
      # What the commands run: git for pull, nix and nixos-rebuild for update and switch, systemd-run
      # so that a switch leaves the agent's cgroup and outlives an agent restart.
      path = [ pkgs.git pkgs.openssh config.nix.package config.system.build.nixos-rebuild config.systemd.package pkgs.bash pkgs.coreutils ];
      environment = {
        NIXFLEET_URL = cfg.url;
        NIXFLEET_TOKEN_FILE = toString cfg.tokenFile;
        NIXFLEET_BRANCH = cfg.branch;
        NIXFLEET_INTERVAL = toString cfg.interval;
        NIXFLEET_HOSTNAME = cfg.hostname;
        NIXFLEET_STATE_DIR = "/var/lib/nixfleet-agent";
      }
      // optionalEnv "NIXFLEET_REPO_URL" cfg.repoUrl
      // optionalEnv "NIXFLEET_REPO_DIR" cfg.repoDir
      // optionalEnv "NIXFLEET_SSH_KEY" cfg.sshKeyFile
      // optionalEnv "NIXFLEET_LOCATION" cfg.location
      // optionalEnv "NIXFLEET_DEVICE_TYPE" cfg.deviceType
      // optionalEnv "NIXFLEET_THEME_COLOR" cfg.themeColor;
      serviceConfig = {
        ExecStart = "${cfg.package}/bin/nixfleet-agent";
        StateDirectory = "nixfleet-agent";
        StateDirectoryMode = "0700";
        Restart = "always";
        RestartSec = "5s";
        RestartForceExitStatus = "101";
        TimeoutStopSec = "10s";
      };
    };
  };
}
