"""The AWS idle scan (``scan``) and its checks: EC2, EBS, snapshots, EIPs, RDS, ELB, NAT; priced by ``pricing``."""
