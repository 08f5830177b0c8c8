// Package version is a stand-in for the Go snoozebot's pkg/plugin/version:
// the plugin API's semantic version and its compatibility rule, which gohost
// applies to what a plugin answers to GetAPIVersion, as a Go snoozebot host
// would.
package version

import (
	"fmt"
	"strconv"
	"strings"
)

const (
	// CurrentVersion is the plugin API version of this host.
	CurrentVersion = "0.1.0"
	// MinimumCompatible is the oldest plugin API a 1.x host takes.
	MinimumCompatible = "0.1.0"
)

// APIVersion is MAJOR.MINOR.PATCH.
type APIVersion struct {
	Major, Minor, Patch int
}

// ParseVersion reads MAJOR.MINOR or MAJOR.MINOR.PATCH.
func ParseVersion(v string) (APIVersion, error) {
	parts := strings.Split(v, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return APIVersion{}, fmt.Errorf("invalid version format: %s", v)
	}
	nums := make([]int, 3)
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return APIVersion{}, fmt.Errorf("invalid version part %q in %s", p, v)
		}
		nums[i] = n
	}
	return APIVersion{Major: nums[0], Minor: nums[1], Patch: nums[2]}, nil
}

// IsCompatible says whether a plugin of API pluginVersion works with this
// host: the same major, and a plugin minor not above the host's (for 1.x
// hosts also not below MinimumCompatible's).
func IsCompatible(pluginVersion string) (bool, error) {
	current, err := ParseVersion(CurrentVersion)
	if err != nil {
		return false, fmt.Errorf("failed to parse current version: %w", err)
	}
	p, err := ParseVersion(pluginVersion)
	if err != nil {
		return false, fmt.Errorf("failed to parse plugin version: %w", err)
	}
	if p.Major != current.Major || p.Minor > current.Minor {
		return false, nil
	}
	if current.Major == 1 {
		minimum, err := ParseVersion(MinimumCompatible)
		if err != nil {
			return false, fmt.Errorf("failed to parse minimum compatible version: %w", err)
		}
		if p.Minor < minimum.Minor {
			return false, nil
		}
	}
	return true, nil
}
