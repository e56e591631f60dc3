package volumes

// MountPoint is one mount as inspect shows it (Docker's "Mounts").
type MountPoint struct {
	Type        string `json:"Type"`
	Name        string `json:"Name,omitempty"`
	Source      string `json:"Source"`
	Destination string `json:"Destination"`
	Driver      string `json:"Driver,omitempty"`
	Mode        string `json:"Mode"`
	RW          bool   `json:"RW"`
	Propagation string `json:"Propagation"`
	// Anonymous marks a volume made for this container (removed by rm -v).
	Anonymous bool `json:"-"`
	// NoCopy skips Docker's copy-up of the image's content into a new volume.
	NoCopy    bool   `json:"-"`
	TmpfsSize int64  `json:"-"`
	TmpfsMode uint32 `json:"-"`
}
