"""The Azure idle scan (``scan``): VMs, managed disks, public IPs through ARM and Monitor, priced by ``pricing``."""
