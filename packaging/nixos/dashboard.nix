# services.nixfleet-dashboard: the NixFleet dashboard on NixOS, as a hardened systemd service. From
# the flake:
#
#   imports = [ nixfleet.nixosModules.nixfleet-dashboard ];
#   services.nixfleet-dashboard = {
#     enable = true;
#     listen = "127.0.0.1:8000";                               # behind a TLS proxy (SECURITY.md)
#     passwordHashFile = "/run/secrets/nixfleet-password-hash"; # strings: read at run time, never in the store
#     agentTokenFile = "/run/secrets/nixfleet-agent-token";
#   };
#
# Without the flake, import this file and set `package`. Secrets are files, handed to the service
# with systemd's LoadCredential= and exported as the variables the dashboard reads by
# export-credentials.sh: the dashboard itself reads no *_FILE variable.
{ config, lib, pkgs, ... }:
let
  cfg = config.services.nixfleet-dashboard;
  inherit (lib) mkOption types;
  secretPath = import ../nix/secret-path.nix;
  user = "nixfleet-dashboard";

  # Each secret option and the variable the dashboard reads it from (README.md, "Dashboard configuration").
  secretVariables = {
    passwordHashFile = "NIXFLEET_PASSWORD_HASH";
    agentTokenFile = "NIXFLEET_AGENT_TOKEN";
    sessionSecretFile = "NIXFLEET_SESSION_SECRET";
    totpSecretFile = "NIXFLEET_TOTP_SECRET";
    metricsTokenFile = "NIXFLEET_METRICS_TOKEN";
    webhookSecretFile = "NIXFLEET_WEBHOOK_SECRET";
    databaseUrlFile = "NIXFLEET_DATABASE_URL";
    redisUrlFile = "NIXFLEET_REDIS_URL";
  };
  secretsSet = lib.filterAttrs (option: _: cfg.${option} != null) secretVariables;
  secretOption =
    what: example:
    mkOption {
      type = types.nullOr types.str;
      default = null;
      inherit example;
      description = ''
        Absolute path of a file that holds ${what}, read when the service starts (a string, never
        copied into the Nix store).
      '';
    };

  port = lib.toInt (lib.last (lib.splitString ":" cfg.listen));
  privilegedPort = port < 1024;
  optionalEnv = name: value: lib.optionalAttrs (value != null) { ${name} = toString value; };
  commaList = name: values: lib.optionalAttrs (values != [ ]) { ${name} = lib.concatStringsSep "," values; };
in
{
  options.services.nixfleet-dashboard = {
    enable = lib.mkEnableOption "the NixFleet dashboard";
    package = mkOption {
      type = types.package;
      description = ''
        The package that provides `bin/nixfleet-dashboard`. The flake's module defaults it to the
        flake's own build; set it when importing this file directly.
      '';
    };
    listen = mkOption {
      type = types.strMatching "^.*:[0-9]+$";
      default = "127.0.0.1:8000";
      example = ":8000";
      description = "Address and port. Loopback by default: put TLS in front (SECURITY.md) rather than serve the world in plain HTTP.";
    };
    openFirewall = mkOption {
      type = types.bool;
      default = false;
      description = "Open the listen port in the firewall.";
    };
    dataDir = mkOption {
      type = types.str;
      default = "/var/lib/nixfleet-dashboard";
      description = "The SQLite database and generated secrets (NIXFLEET_DATA_DIR), owned by the service's user, mode 700.";
    };
    passwordHashFile = secretOption "the bcrypt or argon2id hash of the admin password (`nixfleet-dashboard hash-password`)" "/run/secrets/nixfleet-password-hash";
    agentTokenFile = secretOption "the shared agent token, for enrolment and old agents" "/run/secrets/nixfleet-agent-token";
    sessionSecretFile = secretOption "the key that signs session cookies (generated into the data dir when unset)" "/run/secrets/nixfleet-session-secret";
    totpSecretFile = secretOption "the base32 TOTP secret that turns on a second factor at login" "/run/secrets/nixfleet-totp";
    metricsTokenFile = secretOption "the bearer token of a Prometheus scraper at /metrics" "/run/secrets/nixfleet-metrics-token";
    webhookSecretFile = secretOption "the secret of the push webhook POST /api/hooks/git" "/run/secrets/nixfleet-webhook-secret";
    databaseUrlFile = secretOption "a PostgreSQL URL (NIXFLEET_DATABASE_URL) with its password; SQLite in the data dir when unset" "/run/secrets/nixfleet-database-url";
    redisUrlFile = secretOption "a Redis URL (NIXFLEET_REDIS_URL) with its password: several instances share one fleet (docs/cluster.md); needs databaseUrlFile and the password hash, session secret and agent token files" "/run/secrets/nixfleet-redis-url";
    sshKeyFile = secretOption "a private key for fetching the fleet repository over ssh" "/run/secrets/nixfleet-deploy-key";
    repoUrl = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "git@github.com:example/fleet.git";
      description = "The fleet repository every host should run (docs/desired-state.md).";
    };
    branch = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = "Its branch (the dashboard's default, main, when null).";
    };
    trustedProxies = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "127.0.0.1" ];
      description = "Addresses or CIDRs whose X-Forwarded-For and X-Forwarded-Proto are believed (the TLS proxy in front).";
    };
    allowedOrigins = mkOption {
      type = types.listOf types.str;
      default = [ ];
      description = "Further origins allowed to open browser sockets.";
    };
    logLevel = mkOption {
      type = types.str;
      default = "info";
      description = "pino log level.";
    };
    environment = mkOption {
      type = types.attrsOf types.str;
      default = { };
      example = {
        NIXFLEET_COMMAND_TIMEOUTS = "switch=45m";
        NIXFLEET_DATABASE_URL = "postgresql:///nixfleet-dashboard?host=/run/postgresql";
      };
      description = ''
        Further settings (README.md, "Dashboard configuration") as environment variables. They end
        up in the Nix store: use the *File options for secrets. A PostgreSQL URL without a password
        (peer authentication over the local socket) can go here.
      '';
    };
  };

  config = lib.mkIf cfg.enable {
    assertions =
      secretPath.assertions "services.nixfleet-dashboard" (
        lib.genAttrs (lib.attrNames secretVariables ++ [ "sshKeyFile" ]) (option: cfg.${option})
      )
      ++ [
        {
          assertion = lib.hasPrefix "/" cfg.dataDir;
          message = "services.nixfleet-dashboard.dataDir must be an absolute path, got \"${cfg.dataDir}\"";
        }
      ]
      ++ map (variable: {
        assertion = !(cfg.environment ? ${variable});
        message = "services.nixfleet-dashboard.environment.${variable} would put a secret into the Nix store: use the matching *File option";
      }) (lib.attrValues secretVariables);

    users.users.${user} = {
      isSystemUser = true;
      group = user;
      home = cfg.dataDir;
      description = "NixFleet dashboard";
    };
    users.groups.${user} = { };

    systemd.tmpfiles.rules = [ "d ${cfg.dataDir} 0700 ${user} ${user} - -" ];

    networking.firewall.allowedTCPPorts = lib.mkIf cfg.openFirewall [ port ];

    systemd.services.nixfleet-dashboard = {
      description = "NixFleet dashboard";
      documentation = [ "file:${cfg.package}/lib/node_modules/nixfleet/OPERATIONS.md" ];
      wantedBy = [ "multi-user.target" ];
      wants = [ "network-online.target" ];
      after = [ "network-online.target" ] ++ lib.optional config.services.postgresql.enable "postgresql.service";
      # git and ssh fetch the fleet repository.
      path = [ pkgs.git pkgs.openssh ];
      environment =
        {
          NIXFLEET_LISTEN = cfg.listen;
          NIXFLEET_DATA_DIR = cfg.dataDir;
          NIXFLEET_LOG_LEVEL = cfg.logLevel;
          # ssh keeps the fleet repository's host key (known_hosts) here.
          HOME = cfg.dataDir;
        }
        // optionalEnv "NIXFLEET_REPO_URL" cfg.repoUrl
        // optionalEnv "NIXFLEET_BRANCH" cfg.branch
        # %d: the service's credentials directory; the key is a path the dashboard hands to ssh.
        // lib.optionalAttrs (cfg.sshKeyFile != null) { NIXFLEET_SSH_KEY = "%d/ssh-key"; }
        // commaList "NIXFLEET_TRUSTED_PROXIES" cfg.trustedProxies
        // commaList "NIXFLEET_ALLOWED_ORIGINS" cfg.allowedOrigins
        // cfg.environment;

      serviceConfig = {
        ExecStart = "${pkgs.bash}/bin/bash ${./export-credentials.sh} ${cfg.package}/bin/nixfleet-dashboard";
        # Credential names are the variables export-credentials.sh sets from them.
        LoadCredential =
          lib.mapAttrsToList (option: variable: "${variable}:${cfg.${option}}") secretsSet
          ++ lib.optional (cfg.sshKeyFile != null) "ssh-key:${cfg.sshKeyFile}";
        User = user;
        Group = user;
        UMask = "0077";
        ReadWritePaths = [ cfg.dataDir ];
        Restart = "on-failure";
        RestartSec = "5s";
        # 2: a missing or bad setting (one line names it); 243: systemd could not load a credential
        # (a secret file is missing). Restarting cannot fix either.
        RestartPreventExitStatus = "2 243";
        # A graceful stop writes what is pending and closes every socket within 5 s.
        TimeoutStopSec = "10s";
        LimitNOFILE = 65536;

        # Hardening: the program and its dependencies are read-only in the store anyway; the service
        # writes only its data dir, sees no home, no devices, no other processes.
        NoNewPrivileges = true;
        ProtectSystem = "strict";
        ProtectHome = true;
        PrivateTmp = true;
        PrivateDevices = true;
        ProtectKernelTunables = true;
        ProtectKernelModules = true;
        ProtectKernelLogs = true;
        ProtectControlGroups = true;
        ProtectClock = true;
        ProtectHostname = true;
        ProtectProc = "invisible";
        RestrictNamespaces = true;
        RestrictRealtime = true;
        RestrictSUIDSGID = true;
        RemoveIPC = true;
        LockPersonality = true;
        # AF_NETLINK: Node lists network interfaces through it.
        RestrictAddressFamilies = [ "AF_UNIX" "AF_INET" "AF_INET6" "AF_NETLINK" ];
        SystemCallArchitectures = "native";
        SystemCallFilter = [ "@system-service" "~@privileged" ];
        SystemCallErrorNumber = "EPERM";
        CapabilityBoundingSet = if privilegedPort then [ "CAP_NET_BIND_SERVICE" ] else [ "" ];
        AmbientCapabilities = lib.optional privilegedPort "CAP_NET_BIND_SERVICE";
        # Not set: MemoryDenyWriteExecute, which V8's JIT compiler cannot run under.
      };
    };
  };
}
