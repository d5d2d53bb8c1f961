# %post: deploys BERTH_ADMIN_SETTINGS from the environment of the install or upgrade with the
# installed berthctl, which checks it with the same rules Berth reads it with; an invalid policy
# fails this step (rpm exits non-zero) and nothing is written. Erasing the package keeps
# /etc/berth/admin-settings.json: rpm has no purge.
if [ -n "${BERTH_ADMIN_SETTINGS:-}" ]; then
    if ! berthctl admin deploy --force --admin-settings="$BERTH_ADMIN_SETTINGS"; then
        echo "berth: the admin settings from BERTH_ADMIN_SETTINGS were not deployed." >&2
        exit 1
    fi
fi
