"""The live desk: one monitor per console hears every change and the connection's
state, and tells the screens in typed messages (docs/architecture.md, "The live
channel").

`messages` is what screens import; `monitor` is the app's own (it reads the store).
"""
