#pragma once

// Names the host and the guest both use. Each is spelled here only.

namespace berth::contracts {

// The fw_cfg entries QEMU hands the guest (-fw_cfg name=..., or libvirt's <sysinfo type='fwcfg'>),
// and where the guest kernel's qemu_fw_cfg driver shows each one's content.
inline constexpr const char* kGuestConfigFwCfg = "opt/berth/config";  // GuestConfig (guest_config.h)
inline constexpr const char* kGuestConfigInGuest = "/sys/firmware/qemu_fw_cfg/by_name/opt/berth/config/raw";
inline constexpr const char* kGuestTlsFwCfg = "opt/berth/tls";  // {"ca", "cert", "key"}: dockerd's TLS
inline constexpr const char* kGuestTlsInGuest = "/sys/firmware/qemu_fw_cfg/by_name/opt/berth/tls/raw";

// The test guest's hooks for the integration tests: `berth.test_hooks=failBoot,...` on the guest
// kernel's command line (guest/testguest/README.md). Only the agent's test-guest mode reads it.
inline constexpr const char* kTestHooksKernelParameter = "berth.test_hooks";

// ECI's OCI runtime as dockerd registers it and a client sees it (HostConfig.Runtime), and the
// authorization plugin dockerd asks about every request while ECI is on.
inline constexpr const char* kEciRuntime = "sysbox-runc";
inline constexpr const char* kEciAuthzPlugin = "berth-eci";

}  // namespace berth::contracts
