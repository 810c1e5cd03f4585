/*
 * Linked into the Windows binary only (scripts/cross/toolchain.js). Node-API functions are
 * delay-imported from NODE.EXE; when the loader is about to load that file, this hook hands it
 * the running executable instead, so the addon binds to whatever process loaded it: node.exe,
 * a renamed node, electron.exe. node-gyp's MSVC builds do the same with its
 * win_delay_load_hook.cc, which only compiles under MSVC.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <delayimp.h>
#include <string.h>

static FARPROC WINAPI weakwire_load_exe_hook(unsigned event, PDelayLoadInfo info) {
  if (event != dliNotePreLoadLibrary || _stricmp(info->szDll, "node.exe") != 0) return NULL;
  /* Node.js built as a DLL (vcbuild.bat dll) keeps Node-API in libnode.dll. */
  HMODULE module = GetModuleHandleA("libnode.dll");
  if (module == NULL) module = GetModuleHandleA(NULL);
  return (FARPROC)module;
}

PfnDliHook __pfnDliNotifyHook2 = weakwire_load_exe_hook;
