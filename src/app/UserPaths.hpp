#pragma once
// Where Chronus keeps a user's files, by the XDG base directory rules:
//   data   $XDG_DATA_HOME/chronus   (~/.local/share/chronus): the patches folder
//   state  $XDG_STATE_HOME/chronus  (~/.local/state/chronus): the autosaves of serve and the editor
//   config $XDG_CONFIG_HOME/chronus/chronus.conf (QSettings): the editor's audio settings, recent files
// Recordings go to the user's Music folder (see Recorder::defaultFolder). Control thread only.

#include <QString>

namespace chronus::app {

QString dataFolder();
QString stateFolder();

// Wave 1 kept everything in $XDG_DATA_HOME/chronus/chronus. Moves what is there to where it
// belongs now (patches to the data folder, autosaves to the state folder), never over a file
// that exists already (that one arrives as NAME.wave1.json), and removes the old folder once
// empty, so it runs once. Returns one line per file or folder moved, or why it could not be.
QStringList migrateOldDataFolder();

} // namespace chronus::app
