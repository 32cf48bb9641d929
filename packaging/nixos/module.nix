# Both NixOS modules, services.nixfleet-agent (agent.nix) and services.nixfleet-dashboard
# (dashboard.nix): the file configurations imported before the flake existed keep working. With the
# flake, import nixfleet.nixosModules.default (or .nixfleet-agent, .nixfleet-dashboard) instead: it
# also sets each `package` to the flake's build.
{
  imports = [
    ./agent.nix
    ./dashboard.nix
  ];
}
