; Inno Setup script for Optimizer Lab on Windows (untested on this project's machines).
;
; Build the PyInstaller bundle first, from the repository root:
;   .venv\Scripts\python -m PyInstaller --noconfirm --workpath build\pyinstaller ^
;       --distpath build\bundle packaging\optimizer_lab.spec
; then compile this script (Inno Setup 6):
;   iscc /DAppVersion=0.1.0 packaging\windows\optimizer-lab.iss
; which writes dist\optimizer-lab-<version>-setup.exe. packaging/ci/build-installers.yml does both.
;
; Like the .deb: the bundle goes to Program Files, a Start-menu entry starts it, and the
; uninstaller removes every file it installed. User data (settings, experiments, autosaves)
; lives in %LOCALAPPDATA%\optimizer-lab (platformdirs) and is left alone on uninstall.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Optimizer Lab"
#define AppExe "optimizer-lab.exe"
#define Bundle "..\..\build\bundle\optimizer-lab"

[Setup]
AppId={{6C0E1D0A-3F7B-4C51-9C3E-0B7A2F4D8E11}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Optimizer Lab maintainers
DefaultDirName={autopf}\Optimizer Lab
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Lab PCs: install for all users by default, allow a per-user install without admin rights.
PrivilegesRequired=admin
PrivilegesRequiredOverridesAllowed=dialog commandline
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=optimizer-lab-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\{#AppExe}

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#Bundle}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Nothing is written under {app} at run time; this only catches a stray __pycache__.
Type: filesandordirs; Name: "{app}\_internal\__pycache__"
