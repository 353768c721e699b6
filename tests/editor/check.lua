-- Drives `cachelint server` from a real Neovim (headless), the way a user's configuration does:
-- run by tests/editor/nvim.sh, which makes the scratch project, opens its .gitlab-ci.yml and
-- sets the environment:
--
--   CACHELINT_BIN      the cachelint binary
--   CACHELINT_PROJECT  the scratch project, the example of docs/integrations/editors.md:
--                      .gitlab-ci.yml includes ci/common.yml, whose cache key uses
--                      $CI_COMMIT_REF_NAME (line 4) and caches `~/.npm` (line 5)
--   CACHELINT_RESULT   the file this script appends its "ok"/"FAIL" lines to, then "done"
--   CACHELINT_MODE     `client` (default): this script starts the server itself with
--                      vim.lsp.start_client and attaches it to both files; `documented`: a setup
--                      from docs/integrations/editors.md (Neovim's -u file) is expected to have
--                      started it for .gitlab-ci.yml and to attach it to ci/common.yml when that
--                      is opened
--
-- Written for the APIs Neovim 0.7 already has (vim.lsp.start_client, buf_attach_client,
-- vim.diagnostic.get, vim.wait), which later versions keep. Each step waits at most WAIT_MS;
-- the first step that fails writes FAIL with what it saw, and Neovim exits with :cquit (1);
-- when every step passes it writes "done" and exits with :qall! (0).

local WAIT_MS = 20000

local bin = os.getenv('CACHELINT_BIN')
local project = os.getenv('CACHELINT_PROJECT')
local result_path = os.getenv('CACHELINT_RESULT')
local documented = os.getenv('CACHELINT_MODE') == 'documented'
local out = io.open(result_path or '', 'a')
if not (bin and project and out) then
  io.stderr:write('check.lua: set CACHELINT_BIN, CACHELINT_PROJECT and CACHELINT_RESULT\n')
  vim.cmd('cquit')
  return
end

local function say(line)
  out:write(line, '\n')
  out:flush()
end

local root_path = project .. '/.gitlab-ci.yml'
local common_path = project .. '/ci/common.yml'

-- What the server sent, kept to show when a step fails.
local published = {} -- uri -> the last publishDiagnostics params
local logged = {} -- window/logMessage and window/showMessage texts
local exit_code, exit_signal

-- A failed step: its message, and the lines of what was seen.
local function fail(message, seen)
  error({ message = message, seen = seen or {} }, 0)
end

local function code_of(d)
  -- `code` at the top level since Neovim 0.6.1; user_data.lsp.code before (and kept in 0.7).
  return d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
end

local function cachelint_diagnostics(buf)
  return vim.tbl_filter(function(d)
    return d.source == 'cachelint'
  end, vim.diagnostic.get(buf))
end

local function describe(diagnostics)
  local lines = {}
  for _, d in ipairs(diagnostics) do
    local ns = d.namespace and vim.diagnostic.get_namespace(d.namespace).name or '?'
    lines[#lines + 1] = string.format('%s:%d:%d-%d:%d [%s] %s %s', vim.api.nvim_buf_get_name(d.bufnr or 0),
      d.lnum + 1, d.col + 1, d.end_lnum + 1, d.end_col + 1, ns, tostring(code_of(d)),
      vim.split(d.message or '', '\n')[1])
  end
  if #lines == 0 then
    lines[1] = '(no cachelint diagnostics)'
  end
  return lines
end

-- Everything seen so far: Neovim's diagnostics per buffer, the server's last messages.
local function everything(bufs)
  local lines = {}
  for _, buf in ipairs(bufs) do
    lines[#lines + 1] = 'vim.diagnostic.get(' .. vim.api.nvim_buf_get_name(buf) .. '):'
    for _, l in ipairs(describe(cachelint_diagnostics(buf))) do
      lines[#lines + 1] = '  ' .. l
    end
  end
  for uri, params in pairs(published) do
    lines[#lines + 1] = 'last publishDiagnostics for ' .. uri .. ': ' .. #params.diagnostics
      .. ' diagnostic(s), version ' .. tostring(params.version)
  end
  if next(published) == nil then
    lines[#lines + 1] = 'no publishDiagnostics received'
  end
  for _, m in ipairs(logged) do
    lines[#lines + 1] = 'server said: ' .. m
  end
  if exit_code then
    lines[#lines + 1] = string.format('server exited: code %d, signal %d', exit_code, exit_signal or 0)
  end
  return lines
end

-- Every cachelint client, and those attached to a buffer (0.7 has get_active_clients, which
-- 0.10 renames get_clients).
local function cachelint_clients(buf)
  local all = (vim.lsp.get_clients or vim.lsp.get_active_clients)()
  return vim.tbl_filter(function(c)
    return c.name == 'cachelint' and (buf == nil or vim.lsp.buf_is_attached(buf, c.id))
  end, all)
end

-- A diagnostic as the server sent it, for a code action request: 0.10 and later keep it whole
-- in user_data.lsp; before, its range is rebuilt (byte columns: the project is ASCII).
local function lsp_form(d)
  local lsp = d.user_data and d.user_data.lsp or {}
  if lsp.range then
    return lsp
  end
  return {
    range = {
      start = { line = d.lnum, character = d.col },
      ['end'] = { line = d.end_lnum, character = d.end_col },
    },
    severity = d.severity,
    message = d.message,
    source = d.source,
    code = code_of(d),
    codeDescription = lsp.codeDescription,
    relatedInformation = lsp.relatedInformation,
    data = lsp.data,
  }
end

-- The server's messages pass through here first, whoever started it (handlers are looked up
-- when a message arrives).
local on_publish = vim.lsp.handlers['textDocument/publishDiagnostics']
vim.lsp.handlers['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
  if result then
    published[result.uri] = result
  end
  return on_publish(err, result, ctx, config)
end
vim.lsp.handlers['window/logMessage'] = function(_, result)
  logged[#logged + 1] = result and result.message or '?'
end
vim.lsp.handlers['window/showMessage'] = function(_, result)
  logged[#logged + 1] = result and result.message or '?'
end

local function steps()
  local root_buf = vim.api.nvim_get_current_buf()
  if vim.api.nvim_buf_get_name(root_buf) ~= root_path then
    fail('the current buffer is ' .. vim.api.nvim_buf_get_name(root_buf) .. ', not ' .. root_path)
  end

  -- 1. Start the server as a user's configuration does, attached to the root file.
  local client_id
  if documented then
    vim.wait(WAIT_MS, function()
      return #cachelint_clients(root_buf) > 0
    end, 20)
    local attached = cachelint_clients(root_buf)
    if #attached ~= 1 then
      fail('the documented setup did not attach one cachelint client to .gitlab-ci.yml (filetype `'
        .. vim.bo[root_buf].filetype .. '`, ' .. #attached .. ' attached, '
        .. #cachelint_clients() .. ' running)', everything({ root_buf }))
    end
    client_id = attached[1].id
  else
    client_id = vim.lsp.start_client({
      name = 'cachelint',
      cmd = { bin, 'server' },
      root_dir = project,
      on_exit = function(code, signal)
        exit_code, exit_signal = code, signal
      end,
    })
    if not client_id then
      fail('vim.lsp.start_client returned nil for ' .. bin)
    end
    vim.lsp.buf_attach_client(root_buf, client_id)
  end
  local started = vim.wait(WAIT_MS, function()
    local c = vim.lsp.get_client_by_id(client_id)
    return (c and c.initialized) or exit_code ~= nil
  end, 20)
  if exit_code then
    fail('the server exited before initializing', everything({ root_buf }))
  elseif not started then
    fail('the server did not initialize within ' .. WAIT_MS .. ' ms', everything({ root_buf }))
  end
  local cmd = vim.lsp.get_client_by_id(client_id).config.cmd
  say('ok    the server starts and initializes (' .. table.concat(cmd, ' ') .. ')')

  -- The included file, opened in a window of its own: the documented setups attach to it
  -- themselves (the same client: one server per project); here it is attached like the root.
  vim.cmd('split ' .. vim.fn.fnameescape(common_path))
  local common_buf = vim.api.nvim_get_current_buf()
  if documented then
    vim.wait(WAIT_MS, function()
      return #cachelint_clients(common_buf) > 0
    end, 20)
    local attached = cachelint_clients(common_buf)
    if not (#attached == 1 and attached[1].id == client_id and #cachelint_clients() == 1) then
      fail('opening ci/common.yml did not attach it to the same cachelint client ('
        .. #attached .. ' attached, ' .. #cachelint_clients() .. ' running)', everything({ root_buf, common_buf }))
    end
    say('ok    opening ci/common.yml attaches it to the same client')
  else
    vim.lsp.buf_attach_client(common_buf, client_id)
  end

  -- 2. The findings are shown in the included file, where the problems are, not in the root.
  local function the_finding()
    for _, d in ipairs(cachelint_diagnostics(common_buf)) do
      if code_of(d) == 'cache-path-outside-project' then
        return d
      end
    end
  end
  vim.wait(WAIT_MS, function()
    return the_finding() ~= nil
  end, 20)
  local d = the_finding()
  if not d then
    fail('no cache-path-outside-project diagnostic for ci/common.yml within ' .. WAIT_MS .. ' ms',
      everything({ root_buf, common_buf }))
  end
  -- `    paths: [~/.npm]`: line 5, columns 13-18 (1-based, as :lua shows them 0-based: 4, 12-18).
  if d.lnum ~= 4 or d.col ~= 12 or d.end_lnum ~= 4 or d.end_col ~= 18 then
    fail('the diagnostic is not on `~/.npm` (want 5:13-5:19)', everything({ root_buf, common_buf }))
  end
  -- Each shown once: give a second copy (another namespace, e.g. pulled diagnostics) time to
  -- appear.
  vim.wait(1000, function()
    return #cachelint_diagnostics(common_buf) > 2
  end, 20)
  local shown = cachelint_diagnostics(common_buf)
  table.sort(shown, function(a, b)
    return a.lnum < b.lnum
  end)
  if not (#shown == 2 and code_of(shown[1]) == 'cache-key-unsafe-variable' and shown[1].lnum == 3
      and shown[1].col == 4 and #cachelint_diagnostics(root_buf) == 0) then
    fail('want two cachelint diagnostics, on ci/common.yml lines 4 (`key`) and 5, none in .gitlab-ci.yml',
      everything({ root_buf, common_buf }))
  end
  say('ok    ci/common.yml shows cache-key-unsafe-variable at 4:5 and cache-path-outside-project at 5:13 ("'
    .. vim.split(d.message, '\n')[1]:sub(1, 40) .. '...")')

  -- 3. Quick fixes for it, asked for as vim.lsp.buf.code_action() does, with the diagnostic as
  -- the server published it.
  local common_uri = vim.uri_from_fname(common_path)
  local lsp_diags = { lsp_form(d) }
  local responses = vim.lsp.buf_request_sync(common_buf, 'textDocument/codeAction', {
    textDocument = { uri = common_uri },
    range = { start = { line = 4, character = 0 }, ['end'] = { line = 4, character = 0 } },
    context = { diagnostics = lsp_diags },
  }, WAIT_MS) or {}
  local titles = {}
  local fix
  for _, r in pairs(responses) do
    for _, action in ipairs(r.result or {}) do
      titles[#titles + 1] = action.title
      if action.title == 'Cache `.npm/` instead' then
        fix = action
      end
    end
  end
  local edits = fix and fix.edit and fix.edit.changes and fix.edit.changes[common_uri]
  if not (edits and #edits == 1 and edits[1].newText == '.npm/' and edits[1].range.start.line == 4
      and edits[1].range.start.character == 12 and vim.tbl_contains(titles,
        'Suppress `cache-path-outside-project` on this line')) then
    local seen = { 'code actions: ' .. vim.inspect(titles) }
    if fix then
      seen[#seen + 1] = 'the fix: ' .. vim.inspect(fix.edit)
    end
    fail('the quick fixes are not offered', seen)
  end
  say('ok    code actions: "' .. table.concat(titles, '", "') .. '"')

  -- 4. Hover on the job in the root file: its cache, and where each value comes from.
  local hovers = vim.lsp.buf_request_sync(root_buf, 'textDocument/hover', {
    textDocument = { uri = vim.uri_from_fname(root_path) },
    position = { line = 2, character = 1 },
  }, WAIT_MS) or {}
  local text = ''
  for _, r in pairs(hovers) do
    if r.result and r.result.contents then
      text = text .. (r.result.contents.value or '')
    end
  end
  if not (text:find('job `test`', 1, true) and text:find('paths: ~/.npm  (ci/common.yml:5', 1, true)) then
    fail('hover on `test:` does not show its cache and where it comes from', vim.split(text, '\n'))
  end
  say('ok    hover on `test:` shows "paths: ~/.npm  (ci/common.yml:5, ..."')

  -- 5. Go to definition on `extends: .node`: the template in the included file.
  local defs = vim.lsp.buf_request_sync(root_buf, 'textDocument/definition', {
    textDocument = { uri = vim.uri_from_fname(root_path) },
    position = { line = 3, character = 12 },
  }, WAIT_MS) or {}
  local locations = {}
  for _, r in pairs(defs) do
    for _, l in ipairs(r.result or {}) do
      locations[#locations + 1] = l
    end
  end
  if not (#locations == 1 and locations[1].uri == common_uri and locations[1].range.start.line == 0) then
    fail('go to definition on `.node` does not lead to ci/common.yml:1', vim.split(vim.inspect(defs), '\n'))
  end
  say('ok    go to definition on `extends: .node` leads to ci/common.yml:1')

  -- 6. Fix the included file in its buffer and save it: its diagnostics are cleared.
  vim.api.nvim_buf_set_lines(common_buf, 3, 5, false, { '    key: npm-$CI_COMMIT_REF_SLUG', '    paths: [.npm/]' })
  vim.api.nvim_buf_call(common_buf, function()
    vim.cmd('write')
  end)
  local cleared = vim.wait(WAIT_MS, function()
    return #cachelint_diagnostics(common_buf) == 0
  end, 20)
  if not cleared then
    fail('the diagnostics of ci/common.yml were not cleared within ' .. WAIT_MS .. ' ms of the fix',
      everything({ root_buf, common_buf }))
  end
  local params = published[common_uri]
  if not (params and #params.diagnostics == 0) then
    fail('the server did not publish an empty list for ci/common.yml', everything({ root_buf, common_buf }))
  end
  local f = io.open(common_path)
  local written = f and f:read('*a') or ''
  if f then
    f:close()
  end
  if not written:find('paths: [.npm/]', 1, true) then
    fail('ci/common.yml was not written', vim.split(written, '\n'))
  end
  say('ok    fixed and written, ci/common.yml has no diagnostics left')

  -- 7. Stop the server as Neovim does on exit: shutdown, then exit.
  vim.lsp.stop_client(client_id)
  local stopped = vim.wait(WAIT_MS, function()
    return vim.lsp.get_client_by_id(client_id) == nil and (documented or exit_code ~= nil)
  end, 20)
  if not stopped then
    fail('the server did not stop within ' .. WAIT_MS .. ' ms of shutdown', everything({}))
  end
  if not documented and exit_code ~= 0 then
    fail('the server did not exit with code 0 after shutdown', everything({}))
  end
  say(documented and 'ok    the server shuts down' or 'ok    the server shuts down and exits with code 0')
end

local ok, err = pcall(steps)
if ok then
  say('done')
  vim.cmd('qall!')
else
  if type(err) ~= 'table' then
    err = { message = 'check.lua: ' .. tostring(err), seen = {} }
  end
  say('FAIL  ' .. err.message)
  for _, line in ipairs(err.seen) do
    say('        ' .. line)
  end
  vim.cmd('cquit')
end
