# services.nixfleet-agent for nix-darwin: the NixFleet agent of a macOS host as a launchd agent of
# the host's user (home-manager switches run as that user). From the flake:
#
#   imports = [ nixfleet.darwinModules.nixfleet-agent ];
#   services.nixfleet-agent = {
#     enable = true;
#     user = "admin";
#     url = "wss://fleet.example.org/ws";
#     tokenFile = "/Users/admin/.config/nixfleet/agent-token";   # a string: read at run time, never in the store
#     repoUrl = "git@github.com:example/fleet.git";
#   };
#
# Without the flake, import this file and set `package`. Options shared with NixOS:
# packaging/nix/agent-settings.nix. launchd cannot skip a restart for one exit code, so the agent runs
# under packaging/launchd/run-agent.sh, which keeps a configuration error (exit 2) from restarting
# every few seconds.
{ config, lib, pkgs, ... }:
let
  cfg = config.services.nixfleet-agent;
  inherit (lib) mkOption types;
  settings = import ../nix/agent-settings.nix { inherit lib; };
  home = "/Users/${toString cfg.user}";
in
{
  options.services.nixfleet-agent = settings.options // {
    user = mkOption {
      type = types.nullOr types.str;
      default = config.system.primaryUser or null;
      defaultText = lib.literalExpression "config.system.primaryUser";
      example = "admin";
      description = "The user the agent runs for: the one whose home-manager configuration it switches.";
    };
    logFile = mkOption {
      type = types.str;
      default = "/tmp/nixfleet-agent.log";
      description = "Where launchd writes the agent's log (JSON lines).";
    };
  };

  config = lib.mkIf cfg.enable {
    assertions = settings.assertions "services.nixfleet-agent" cfg ++ [
      {
        assertion = cfg.user != null;
        message = "services.nixfleet-agent.user: name the user whose home-manager configuration the agent switches";
      }
    ];

    launchd.user.agents.nixfleet-agent = {
      serviceConfig = {
        Label = "org.nixfleet.agent";
        ProgramArguments = [ "/bin/bash" "${../launchd/run-agent.sh}" "${cfg.package}/bin/nixfleet-agent" ];
        EnvironmentVariables = settings.environment cfg // {
          # home-manager comes from the user's profile (the nix-darwin module, or a standalone install).
          PATH = lib.concatStringsSep ":" [
            (lib.makeBinPath ([ cfg.package pkgs.git pkgs.openssh config.nix.package ] ++ cfg.extraPackages))
            "/etc/profiles/per-user/${toString cfg.user}/bin"
            "${home}/.nix-profile/bin"
            "/run/current-system/sw/bin"
            "/nix/var/nix/profiles/default/bin"
            "/usr/bin:/bin:/usr/sbin:/sbin"
          ];
          HOME = home;
        };
        RunAtLoad = true;
        # Restarted whenever it ends unsuccessfully: 101 (`restart`, after a switch), a crash.
        KeepAlive.SuccessfulExit = false;
        ThrottleInterval = 5;
        StandardErrorPath = cfg.logFile;
        StandardOutPath = cfg.logFile;
      };
    };
  };
}
