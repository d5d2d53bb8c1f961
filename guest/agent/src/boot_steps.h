#pragma once

// What the agent's boot is made of, in either mode: steps that report their phase to the host and
// end the boot by throwing StepFailed, which the host is told as an error naming the step.

#include "channel.h"

#include "berth/contracts/guest_config.h"

#include <string>

namespace berth::guest::agent {

struct StepFailed {
    std::string step;
    std::string message;
};

Channel& channel();
bool shutdownRequested();
// Each boot step starts here: a shutdown asked for during boot ends it before the next step, so
// nothing more is started, and the disk is unmounted before the power goes off.
void enterPhase(const std::string& name);
// The config the host wrote (contracts::GuestConfig), or the boot ends naming what is wrong with it.
contracts::GuestConfig readGuestConfig();

}  // namespace berth::guest::agent
