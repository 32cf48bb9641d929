# A host that runs both the dashboard and an agent, as the flake's `checks` evaluate it and as
# packaging/README.md shows it. The paths are where sops-nix or agenix would put the secrets; they are
# strings, read by the services when they start.
{
  services.nixfleet-dashboard = {
    enable = true;
    listen = "127.0.0.1:8000";
    passwordHashFile = "/run/secrets/nixfleet-password-hash";
    agentTokenFile = "/run/secrets/nixfleet-agent-token";
    repoUrl = "git@github.com:example/fleet.git";
    sshKeyFile = "/run/secrets/nixfleet-deploy-key";
    trustedProxies = [ "127.0.0.1" ];
  };

  services.nixfleet-agent = {
    enable = true;
    url = "ws://127.0.0.1:8000/ws";
    tokenFile = "/run/secrets/nixfleet-agent-token";
    repoUrl = "git@github.com:example/fleet.git";
    sshKeyFile = "/run/secrets/nixfleet-deploy-key";
    tags = [ "dashboard" ];
  };
}
