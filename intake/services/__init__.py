"""Every write of the intake app, one function per action (``<entity>_<action>``)."""
