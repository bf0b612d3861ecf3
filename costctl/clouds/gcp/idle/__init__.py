"""The GCP idle scan (``scan``): GCE instances, disks, addresses and Cloud Monitoring CPU, priced by ``pricing``."""
