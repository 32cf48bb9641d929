# Secrets are named by their path, as a string, and read by the service when it starts. A Nix path
# value (./token) would be copied into the Nix store, which every user of the machine can read, so
# the options take strings, and this tells a usable secret path from one that is not. Plain builtins
# only, so that a test can evaluate it without nixpkgs (test/packaging/nix.test.ts).
let
  storePrefix = "${builtins.storeDir}/";
  inStore = value: builtins.substring 0 (builtins.stringLength storePrefix) value == storePrefix;

  # What is wrong with `value` as a secret path, or null when nothing is (an unset secret is fine).
  problem =
    value:
    if value == null then
      null
    else if !builtins.isString value then
      "must be a path written as a string, such as \"/run/secrets/nixfleet\" (a Nix path value would be copied into the Nix store)"
    else if builtins.substring 0 1 value != "/" then
      "must be an absolute path, got \"${value}\""
    else if inStore value then
      "is in the Nix store (${value}), where every user can read it: keep secrets outside it, e.g. in /run/secrets or /etc/nixfleet"
    else
      null;
in
{
  inherit problem;

  # One NixOS/nix-darwin assertion per secret setting; `settings` maps option names to their values.
  assertions =
    prefix: settings:
    map (
      name:
      let
        found = problem settings.${name};
      in
      {
        assertion = found == null;
        message = "${prefix}.${name} ${if found == null then "is fine" else found}";
      }
    ) (builtins.attrNames settings);
}
