# NixFleet as a flake: the package (the dashboard, the agent and the `nixfleet` command), NixOS modules
# for the dashboard and the agent, and a nix-darwin module for the agent. How to use each:
# packaging/README.md.
{
  description = "NixFleet: manage a fleet of NixOS and macOS hosts from one web dashboard";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      forAllSystems = f: lib.genAttrs systems (system: f system nixpkgs.legacyPackages.${system});

      # A module of this flake, with the service's `package` defaulting to this flake's build.
      withOwnPackage =
        service: module:
        { pkgs, ... }:
        {
          imports = [ module ];
          services.${service}.package = lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.default;
        };

      # The example host evaluated as a container: its unit files, and our modules' assertions.
      nixosExample =
        system:
        let
          host = lib.nixosSystem {
            modules = [
              self.nixosModules.default
              ./packaging/nixos/example.nix
              {
                nixpkgs.hostPlatform = system;
                boot.isContainer = true;
                system.stateVersion = "25.05";
              }
            ];
          };
          ours = lib.filter (a: lib.hasPrefix "services.nixfleet" a.message) host.config.assertions;
          failed = lib.filter (a: !a.assertion) ours;
          units = map (name: host.config.systemd.units."${name}.service".unit) [
            "nixfleet-agent"
            "nixfleet-dashboard"
          ];
        in
        if failed != [ ] then
          throw (lib.concatMapStringsSep "\n" (a: a.message) failed)
        else
          nixpkgs.legacyPackages.${system}.linkFarmFromDrvs "nixfleet-example-units" units;
    in
    {
      packages = forAllSystems (
        _system: pkgs:
        let
          nixfleet = pkgs.callPackage ./packaging/nix/package.nix { };
        in
        {
          inherit nixfleet;
          default = nixfleet;
          # The same build; `nix run .#nixfleet-agent` runs the agent.
          nixfleet-agent = lib.addMetaAttrs { mainProgram = "nixfleet-agent"; } nixfleet;
          nixfleet-dashboard = lib.addMetaAttrs { mainProgram = "nixfleet-dashboard"; } nixfleet;
        }
      );

      overlays.default = final: _prev: { nixfleet = final.callPackage ./packaging/nix/package.nix { }; };

      nixosModules = {
        nixfleet-agent = withOwnPackage "nixfleet-agent" ./packaging/nixos/agent.nix;
        nixfleet-dashboard = withOwnPackage "nixfleet-dashboard" ./packaging/nixos/dashboard.nix;
        default.imports = [
          self.nixosModules.nixfleet-agent
          self.nixosModules.nixfleet-dashboard
        ];
      };

      darwinModules = {
        nixfleet-agent = withOwnPackage "nixfleet-agent" ./packaging/darwin/agent.nix;
        default = self.darwinModules.nixfleet-agent;
      };

      checks = forAllSystems (
        system: _pkgs:
        { package = self.packages.${system}.default; }
        // lib.optionalAttrs (lib.hasSuffix "-linux" system) { nixos-example = nixosExample system; }
      );
    };
}
