#include "module_request.h"

#include <gtest/gtest.h>

using berth::guest::isHopelessModuleRequest;

TEST(ModuleRequest, ABinaryFormatNoModuleProvidesFailsAtOnce)
{
    EXPECT_TRUE(isHopelessModuleRequest("binfmt-464c"));  // an ELF for another architecture
    EXPECT_TRUE(isHopelessModuleRequest("binfmt-0000"));
}

TEST(ModuleRequest, EveryOtherRequestGoesToModprobe)
{
    for (const char* name : {"fs-overlay", "fs-binfmt_misc", "binfmt_misc", "net-pf-16-proto-6", "nf_conntrack",
                             "xt_addrtype", "crypto-aes", "binfmt", "binfmt_", ""}) {
        EXPECT_FALSE(isHopelessModuleRequest(name)) << name;
    }
}
