# services.nixfleet-agent: the NixFleet agent on a NixOS host, as a systemd service. From the flake:
#
#   imports = [ nixfleet.nixosModules.nixfleet-agent ];
#   services.nixfleet-agent = {
#     enable = true;
#     url = "wss://fleet.example.org/ws";
#     tokenFile = "/run/secrets/nixfleet-agent-token";   # a string: read at run time, never in the store
#     repoUrl = "git@github.com:example/fleet.git";
#     sshKeyFile = "/run/secrets/nixfleet-deploy-key";
#   };
#
# Without the flake, import this file and set `package`. Every option: packaging/nix/agent-settings.nix.
#
# Not sandboxed, on purpose: the agent runs nixos-rebuild switch as root, and the switch inherits the
# agent's namespaces and restrictions (systemd-run --scope keeps them). A read-only /etc or /boot, a
# private /tmp or mount namespace, a capability or system-call filter would break activation, the boot
# loader or the services it restarts. What limits it is what it accepts: a fixed set of commands from a
# dashboard that authenticated with this host's token (packaging/README.md, "Hardening").
{ config, lib, pkgs, ... }:
let
  cfg = config.services.nixfleet-agent;
  settings = import ../nix/agent-settings.nix { inherit lib; };
in
{
  options.services.nixfleet-agent = settings.options;

  config = lib.mkIf cfg.enable {
    services.nixfleet-agent.hostname = lib.mkDefault config.networking.hostName;

    assertions = settings.assertions "services.nixfleet-agent" cfg;

    systemd.services.nixfleet-agent = {
      description = "NixFleet agent";
      documentation = [ "file:${cfg.package}/lib/node_modules/nixfleet/docs/agent.md" ];
      wantedBy = [ "multi-user.target" ];
      wants = [ "network-online.target" ];
      after = [ "network-online.target" ];
      # The switch the agent runs activates this very configuration: activation must not restart or
      # stop the agent under it. The agent restarts itself (exit 101) once the switch is reported.
      restartIfChanged = false;
      # What the commands run: git for pull, nix and nixos-rebuild for update and switch, systemd-run
      # so that a switch leaves the agent's cgroup and outlives an agent restart.
      path = [
        pkgs.git
        pkgs.openssh
        config.nix.package
        config.system.build.nixos-rebuild
        config.systemd.package
        pkgs.bash
        pkgs.coreutils
      ] ++ cfg.extraPackages;
      environment = settings.environment cfg // {
        NIXFLEET_STATE_DIR = "/var/lib/nixfleet-agent";
      };
      serviceConfig = {
        ExecStart = "${cfg.package}/bin/nixfleet-agent";
        StateDirectory = "nixfleet-agent";
        StateDirectoryMode = "0700";
        Restart = "always";
        RestartSec = "5s";
        # `restart` and a successful switch exit with 101: always start again.
        RestartForceExitStatus = "101";
        # A missing or bad setting exits with 2 and one line naming it: restarting cannot fix that.
        RestartPreventExitStatus = "2";
        TimeoutStopSec = "10s";
      };
    };
  };
}
