-- Runs the tour and every example, each under a heading: what `make demo`
-- shows. An example whose optional library is missing says so and is
-- skipped. Exits with failure if any example raised an error.
local dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."

local examples = {
  {"tour.lua", "A short tour"},
  {"xml_pull.lua", "XML pull parser over LuaExpat's callbacks"},
  {"stream_compile.lua", "Streaming compiler: load fed with send"},
  {"interactive_sort.lua", "Interactive sort: the caller answers table.sort"},
  {"lpeg_scan.lua", "LPeg: a match-time capture yields each match"},
  {"pipeline.lua", "A consumer pipeline: source, filter, broadcast"},
}

local failed = 0
for i, e in ipairs(examples) do
  local file, title = e[1], e[2]
  print(("%s== %s (examples/%s) =="):format(i > 1 and "\n" or "", title, file))
  local ok, err = pcall(dofile, dir .. "/" .. file)
  if not ok then
    failed = failed + 1
    print("FAILED: " .. tostring(err))
  end
end
if failed > 0 then
  print(("\n%d of %d examples failed"):format(failed, #examples))
  os.exit(1)
end
