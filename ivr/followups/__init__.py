"""Issue 13 on the controller's side: calls from the abandoned-call worklist and the surge switch's
mirror in Asterisk's AstDB."""
