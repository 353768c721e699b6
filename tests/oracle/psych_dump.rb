#!/usr/bin/env ruby
# frozen_string_literal: true
#
# Fidelity oracle, Ruby side: load YAML files the way GitLab loads
# `.gitlab-ci.yml` and print one canonical JSON line per file.
#
#   ruby tests/oracle/psych_dump.rb [--raw] [--max-nodes=N] FILE...
#
# Output, one line per FILE, in argument order:
#   {"file": "<path as given>", "ok": <canonical value>}
#   {"file": "<path as given>", "error": "<ErrorClass: message>"}
#
# Loading (default mode) mirrors GitLab's Gitlab::Ci::Config::Yaml::Loader:
#   * strip one leading UTF-8 BOM;
#   * chunks = text.split(/^---\s+/, 3) (Ruby: ^ = start of any line);
#   * every chunk is loaded with
#       Psych.safe_load(chunk, permitted_classes: [Symbol, Reference],
#                       permitted_symbols: [], aliases: true)
#     (first YAML document of each chunk only); any chunk failing => error;
#   * chunks whose LOADED value is blank (ActiveSupport #blank?: nil, false,
#     whitespace-only String, empty Hash/Array) are dropped -- all of them,
#     not only the first;
#   * header exists iff more than one chunk remains and the first is a Hash
#     with key "spec" (or :spec -- GitLab checks after deep_symbolize_keys);
#     then the config is the LAST chunk, otherwise the FIRST.
#     Nothing left => null.
#   GitLab additionally rejects a non-Hash selected document ("Invalid
#   configuration format") and applies DeepSize limits; this script prints
#   the value whatever its type and does not apply those limits.
# --raw skips the BOM strip and the split: safe_load of the whole text.
#
# Canonical value encoding (contract with the Rust side):
#   nil/true/false/String -> null/true/false/"..."
#   Integer  -> {"int": "<decimal>"}
#   Float    -> {"float": <JSON number>} or {"float": "inf"|"-inf"|"nan"}
#   Symbol   -> {"symbol": "<name>"}
#   Array    -> [...]
#   Hash     -> {...} in Ruby hash order (also Psych::Omap, the Hash
#               subclass `!!omap` yields even under safe_load); non-String
#               keys become strings:
#               "!!int 1", "!!float 1.5", "!!bool true", "!!null",
#               "!!symbol name", otherwise "!!complex <canonical JSON of key>"
#   !reference on a sequence -> {"!reference": [items...]}
#   Extensions (not in the original contract, should be rare):
#     !reference on a scalar  -> {"!reference_scalar": "<raw text>"}
#     !reference on a mapping -> {"!reference_map": {...}}
#     String that is not valid UTF-8 (e.g. from !!binary) ->
#               {"binary": "<base64>"}   (as a key: "!!binary <base64>")
#   anything else -> {"other": "<class name>"}
#   An object repeated inside itself -> {"recursive": true}
#   Container nesting deeper than 10_000 -> whole file {"error": "too deep"};
#   Psych's own SystemStackError (it overflows at ~1000 nested collections
#   with the default 1 MiB VM stack) is reported the same way.
#   More than --max-nodes (default 1_000_000) values after alias expansion
#   -> {"error": "too large: ..."} (alias bombs).
#
# Dependency-free: stdlib json + psych only.

require 'json'
require 'psych'

module Gitlab
  module Ci
    module Config
      module Yaml
        module Tags
          # Mirrors Gitlab::Ci::Config::Yaml::Tags::Base#init_with.
          class Reference
            attr_reader :data, :coder_type

            def init_with(coder)
              @coder_type = coder.type
              @data = {
                tag: coder.tag,
                style: coder.style,
                seq: coder.seq,
                scalar: coder.scalar,
                map: coder.map
              }
            end
          end
        end
      end
    end
  end
end

REFERENCE = Gitlab::Ci::Config::Yaml::Tags::Reference
Psych.add_tag('!reference', REFERENCE)

class CanonicalEncoder
  MAX_DEPTH = 10_000

  class TooDeep < StandardError; end
  class TooLarge < StandardError; end

  def initialize(max_nodes, path = nil, counter = nil)
    @max_nodes = max_nodes
    @path = path || {}.compare_by_identity # containers currently open
    @counter = counter || [0]
  end

  # Iterative (explicit work stack), so deep values never overflow Ruby's stack.
  def encode(value, base_depth = 0)
    out = +''
    work = [[:v, value, base_depth]]
    until work.empty?
      item = work.pop
      case item[0]
      when :s then out << item[1]
      when :leave then @path.delete(item[1])
      when :v then emit(item[1], item[2], out, work)
      end
    end
    out
  end

  def self.float_text(f)
    if f.nan? then 'nan'
    elsif f.infinite? then f.positive? ? 'inf' : '-inf'
    else JSON.generate(f)
    end
  end

  private

  def json_str(s)
    JSON.generate(s)
  end

  def utf8(s)
    return s if s.encoding == Encoding::UTF_8 && s.valid_encoding?
    t = s.dup.force_encoding(Encoding::UTF_8)
    t.valid_encoding? ? t : nil
  end

  def emit(v, depth, out, work)
    @counter[0] += 1
    if @counter[0] > @max_nodes
      raise TooLarge, "too large: more than #{@max_nodes} values after alias expansion"
    end

    if v.nil? then out << 'null'
    elsif v == true then out << 'true'
    elsif v == false then out << 'false'
    elsif v.is_a?(String)
      u = utf8(v)
      out << (u ? json_str(u) : '{"binary":' + json_str([v].pack('m0')) + '}')
    elsif v.is_a?(Integer)
      out << '{"int":' << json_str(v.to_s) << '}'
    elsif v.instance_of?(Float)
      f = v
      out << '{"float":' << (f.finite? ? JSON.generate(f) : json_str(self.class.float_text(f))) << '}'
    elsif v.instance_of?(Symbol)
      name = utf8(v.to_s) || v.to_s.scrub
      out << '{"symbol":' << json_str(name) << '}'
    elsif v.is_a?(Array) || v.is_a?(Hash) || v.instance_of?(REFERENCE)
      if @path.key?(v)
        out << '{"recursive":true}'
        return
      end
      d = depth + 1
      raise TooDeep, 'too deep' if d > MAX_DEPTH
      @path[v] = true
      work << [:leave, v]
      if v.is_a?(Array)
        push_array(v, d, out, work)
      elsif v.is_a?(Hash)
        push_hash(v, d, out, work)
      else
        push_reference(v, d, out, work)
      end
    else
      out << '{"other":' << json_str(v.class.name.to_s) << '}'
    end
  end

  # Children are pushed in reverse so they pop in order.
  def push_array(arr, d, out, work)
    out << '['
    work << [:s, ']']
    (arr.size - 1).downto(0) do |i|
      work << [:v, arr[i], d]
      work << [:s, ','] if i > 0
    end
  end

  def push_hash(h, d, out, work)
    out << '{'
    work << [:s, '}']
    pairs = h.to_a
    (pairs.size - 1).downto(0) do |i|
      k, val = pairs[i]
      work << [:v, val, d]
      work << [:s, json_str(key_text(k, d)) + ':']
      work << [:s, ','] if i > 0
    end
  end

  def push_reference(ref, d, out, work)
    case ref.coder_type
    when :seq
      out << '{"!reference":'
      work << [:s, '}']
      work << [:v, ref.data[:seq], d - 1]
    when :scalar
      out << '{"!reference_scalar":'
      work << [:s, '}']
      work << [:v, ref.data[:scalar], d]
    else
      out << '{"!reference_map":'
      work << [:s, '}']
      work << [:v, ref.data[:map], d - 1]
    end
  end

  def key_text(k, d)
    if k.is_a?(String)
      u = utf8(k)
      u || ('!!binary ' + [k].pack('m0'))
    elsif k.is_a?(Integer) then "!!int #{k}"
    elsif k.instance_of?(Float) then "!!float #{self.class.float_text(k)}"
    elsif k == true then '!!bool true'
    elsif k == false then '!!bool false'
    elsif k.nil? then '!!null'
    elsif k.instance_of?(Symbol) then "!!symbol #{utf8(k.to_s) || k.to_s.scrub}"
    else
      '!!complex ' + CanonicalEncoder.new(@max_nodes, @path, @counter).encode(k, d)
    end
  end
end

SAFE_LOAD_OPTS = {
  permitted_classes: [Symbol, REFERENCE],
  permitted_symbols: [],
  aliases: true
}.freeze

def safe_load(text)
  Psych.safe_load(text, **SAFE_LOAD_OPTS)
end

# ActiveSupport Object#blank? for the values safe_load can return.
def as_blank?(v)
  case v
  when nil, false then true
  when String then v.empty? || v.match?(/\A[[:space:]]*\z/)
  when Array, Hash then v.empty?
  when Symbol then v.empty?
  else false
  end
end

# Gitlab::Ci::Config::Yaml::Loader#yaml_documents + Yaml::Documents
# (gitlabhq lib/gitlab/ci/config/yaml/loader.rb, documents.rb):
#   docs = content.split(MultiDocYaml::MULTI_DOC_DIVIDER, MAX_DOCUMENTS + 1)
#                 .map { |d| Loader::Yaml.new(d, ...) }    # safe_load each
#   docs.reject!(&:blank?)      # Loader::Yaml#blank? == @config.blank?
#   has_header? = docs.count > 1 && first.load!.key?(:spec)  (deep-symbolized)
#   content     = has_header? ? docs.last.raw : docs.first.raw
def gitlab_load(text)
  text = text.delete_prefix("\uFEFF")
  docs = text.split(/^---\s+/, 3).map { |c| safe_load(c) }
  docs.reject! { |d| as_blank?(d) }
  return nil if docs.empty?

  # Loader::Yaml#load! on every document: too_big? (Gitlab::Utils::DeepSize) before anything.
  docs.each { |d| DeepSize.check!(d) }

  first = docs.first
  if docs.size > 1 && first.is_a?(Hash) && (first.key?('spec') || first.key?(:spec))
    docs.last
  else
    first
  end
end

# Gitlab::Utils::DeepSize as Loader::Yaml#too_big? applies it: the memory size (ObjectSpace
# .memsize_of, every visit counted, so aliases count again) must not exceed max_yaml_size_bytes
# and hashes/arrays must not nest deeper than max_yaml_depth (GitLab defaults: 2 MB, 100).
module DeepSize
  require 'objspace'
  MAX_SIZE = 2 * 1024 * 1024
  MAX_DEPTH = 100
  class TooBig < StandardError
    def initialize(msg = 'The parsed YAML is too big') = super
  end

  def self.check!(root)
    size = 0
    depth = 0
    add = lambda do |obj|
      size += ObjectSpace.memsize_of(obj)
      raise TooBig if size > MAX_SIZE
      children = if obj.is_a?(Array) then obj
                 elsif obj.is_a?(Hash) then obj.flat_map { |k, v| [k, v] }
                 end
      next unless children

      depth += 1
      raise TooBig if depth > MAX_DEPTH
      children.each { |c| add.call(c) }
      depth -= 1
    end
    add.call(root)
  end
end

# "<ErrorClass: message>", first line only; object inspections such as
# "#<Foo:0x0000... @a=...>" (NoMethodError) are shortened to "#<Foo>" so the
# output is deterministic.
def error_line(file_json, e)
  text = e.message.to_s.dup.force_encoding(Encoding::UTF_8).scrub
  text = (text.lines.first || '').strip.sub(/#<([A-Z]\w*(?:::[A-Z]\w*)*)[^\n]*>/, '#<\\1>')
  msg = "#{e.class}: #{text}"
  msg = 'too deep' if e.is_a?(SystemStackError) || e.is_a?(CanonicalEncoder::TooDeep)
  msg = e.message if e.is_a?(CanonicalEncoder::TooLarge)
  %({"file":#{file_json},"error":#{JSON.generate(msg)}})
end

raw = false
max_nodes = 1_000_000
files = []
ARGV.each do |a|
  if a == '--raw' then raw = true
  elsif a.start_with?('--max-nodes=') then max_nodes = Integer(a.split('=', 2)[1])
  else files << a
  end
end

$stdout.binmode
$stdout.sync = false
files.each do |file|
  file_json = JSON.generate(file.dup.force_encoding(Encoding::UTF_8).scrub)
  line =
    begin
      text = File.binread(file).force_encoding(Encoding::UTF_8)
      value = raw ? safe_load(text) : gitlab_load(text)
      %({"file":#{file_json},"ok":#{CanonicalEncoder.new(max_nodes).encode(value)}})
    rescue Interrupt, SignalException, SystemExit
      raise
    rescue Exception => e # rubocop:disable Lint/RescueException
      error_line(file_json, e)
    end
  $stdout.write(line, "\n")
end
$stdout.flush
