// berth-eci-init: the first program of a container that may change its mounts (mount_lock.h).
// Locks the container's mounts, becomes the container's user with runc's capabilities, and
// executes the container's command. Any failure ends the container before its command runs.

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "berth/guest/eci/mount_lock.h"

namespace {

using berth::guest::eci::CapabilitySets;
using berth::guest::eci::InitPlan;

[[noreturn]] void die(const std::string& what, int error = 0)
{
    std::string message = "enhanced container isolation: cannot start the container: " + what;
    if (error != 0) { message += std::string(": ") + std::strerror(error); }
    message += "\n";
    (void)!::write(2, message.data(), message.size());
    std::_Exit(126);
}

bool sameFile(const struct stat& a, const struct stat& b)
{
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// One int (0 or an errno) and, with 0, one descriptor.
void sendResult(int socket, int result, int fd)
{
    iovec data{&result, sizeof result};
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    if (fd >= 0) {
        message.msg_control = control;
        message.msg_controllen = sizeof control;
        cmsghdr* header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(header), &fd, sizeof fd);
    }
    while (::sendmsg(socket, &message, 0) < 0 && errno == EINTR) {}
}

// The descriptor sent, or -1; `result` stays -1 when nothing came.
int receiveResult(int socket, int& result)
{
    iovec data{&result, sizeof result};
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    ssize_t n = 0;
    while ((n = ::recvmsg(socket, &message, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {}
    if (n != sizeof result) {
        result = -1;
        return -1;
    }
    for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS) {
            int fd = -1;
            std::memcpy(&fd, CMSG_DATA(header), sizeof fd);
            return fd;
        }
    }
    return -1;
}

// A child takes a new user namespace, nested in the container's, and with it a copy of the mount
// namespace: the kernel locks every mount of the copy. This process joins the copy and stays in
// the container's user namespace.
void lockMounts()
{
    struct stat rootBefore {};
    if (::stat("/", &rootBefore) != 0) { die("stat /", errno); }
    std::vector<char> cwd(PATH_MAX + 1);
    if (::getcwd(cwd.data(), cwd.size()) == nullptr) { die("getcwd", errno); }

    // The child hands over its new mount namespace as a descriptor: opening another process's
    // /proc/<pid>/ns/mnt would need ptrace access to it, which its fresh credentials may refuse.
    int channel[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, channel) != 0) { die("socketpair", errno); }
    const pid_t child = ::fork();
    if (child < 0) { die("fork", errno); }
    if (child == 0) {
        ::close(channel[0]);
        int result = ::unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0 ? 0 : errno;
        const int ns = result == 0 ? ::open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC) : -1;
        if (result == 0 && ns < 0) { result = errno; }
        sendResult(channel[1], result, ns);
        std::_Exit(0);
    }
    ::close(channel[1]);
    int result = -1;
    const int ns = receiveResult(channel[0], result);
    ::close(channel[0]);
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    if (result < 0) { die("the namespace helper ended early"); }
    if (result != 0) { die("unshare(CLONE_NEWUSER|CLONE_NEWNS)", result); }
    if (ns < 0) { die("the namespace helper sent no namespace"); }
    if (::setns(ns, CLONE_NEWNS) != 0) { die("setns into the locked mount namespace", errno); }
    ::close(ns);

    // setns puts us at the namespace's root: it must be the container's root, as before.
    struct stat rootAfter {};
    if (::stat("/", &rootAfter) != 0 || !sameFile(rootBefore, rootAfter)) {
        die("the locked mount namespace has another root");
    }
    if (::chdir(cwd.data()) != 0) { die(std::string("chdir ") + cwd.data(), errno); }
}

int lastCapability()
{
    if (FILE* f = std::fopen("/proc/sys/kernel/cap_last_cap", "re")) {
        int last = -1;
        const bool read = std::fscanf(f, "%d", &last) == 1;
        std::fclose(f);
        if (read && last >= 0 && last < 64) { return last; }
    }
    return CAP_LAST_CAP;
}

void setCapabilities(const CapabilitySets& caps)
{
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    for (int i = 0; i < 2; ++i) {
        data[i].effective = static_cast<std::uint32_t>(caps.effective >> (32 * i));
        data[i].permitted = static_cast<std::uint32_t>(caps.permitted >> (32 * i));
        data[i].inheritable = static_cast<std::uint32_t>(caps.inheritable >> (32 * i));
    }
    if (::syscall(SYS_capset, &header, data) != 0) { die("capset", errno); }
}

bool setgroupsDenied()
{
    FILE* f = std::fopen("/proc/self/setgroups", "re");
    if (f == nullptr) { return false; }
    char word[8] = {};
    const bool deny = std::fscanf(f, "%7s", word) == 1 && std::strcmp(word, "deny") == 0;
    std::fclose(f);
    return deny;
}

// What runc does after it sets up the namespaces: bounding set, groups and IDs (keeping the
// permitted set across the ID change), then the capability sets of the spec.
void becomeContainerUser(const InitPlan& plan)
{
    if (plan.capabilities) {
        const int last = lastCapability();
        for (int cap = 0; cap <= last; ++cap) {
            if ((plan.capabilities->bounding & (std::uint64_t{1} << cap)) != 0) { continue; }
            if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
                die("drop a bounding capability", errno);
            }
        }
        if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) { die("keep capabilities", errno); }
    }
    // As runc: a user namespace whose setgroups is "deny" keeps the groups it has.
    if (!setgroupsDenied()) {
        std::vector<gid_t> groups(plan.groups.begin(), plan.groups.end());
        if (::setgroups(groups.size(), groups.data()) != 0) { die("setgroups", errno); }
    }
    if (::setresgid(plan.gid, plan.gid, plan.gid) != 0) { die("setresgid", errno); }
    if (::setresuid(plan.uid, plan.uid, plan.uid) != 0) { die("setresuid", errno); }
    if (plan.capabilities) {
        setCapabilities(*plan.capabilities);
        if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
            die("clear ambient capabilities", errno);
        }
        for (int cap = 0; cap < 64; ++cap) {
            if ((plan.capabilities->ambient & (std::uint64_t{1} << cap)) == 0) { continue; }
            if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) {
                die("raise an ambient capability", errno);
            }
        }
        if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) { die("stop keeping capabilities", errno); }
    }
}

}  // namespace

int main(int argc, char** argv)
{
    std::string error;
    const auto plan = berth::guest::eci::parseInitArguments(std::vector<std::string>(argv + 1, argv + argc), error);
    if (!plan) { die(error); }
    lockMounts();
    becomeContainerUser(*plan);

    std::vector<char*> command;
    for (const auto& arg : plan->command) { command.push_back(const_cast<char*>(arg.c_str())); }
    command.push_back(nullptr);
    ::execvp(command[0], command.data());
    // As runc words it, and with the shell's exit codes.
    const int failure = errno;
    const std::string message = "exec: \"" + plan->command.front() + "\": "
        + (failure == ENOENT ? std::string("executable file not found in $PATH") : std::string(std::strerror(failure)))
        + "\n";
    (void)!::write(2, message.data(), message.size());
    return failure == ENOENT ? 127 : 126;
}
