import { Argument, Command, type Option } from 'commander';
import { CONSISTENCIES, SASL_MECHANISMS } from '../config/table.js';

/** Values of flags the settings table checks itself (not commander choices), for completion. */
const FLAG_VALUES: Record<string, readonly string[]> = {
  '--read-consistency': CONSISTENCIES.filter((c) => c !== 'any'),
  '--write-consistency': CONSISTENCIES,
  '--sasl-mechanism': SASL_MECHANISMS,
  // (JSON offsets too, which a shell cannot offer)
  '--starting-offsets': ['earliest', 'latest'],
};
/** The node names `stack stop|start|logs|status` take. */
const NODES = ['kafka', 'cassandra', 'kafka-1', 'kafka-2', 'kafka-3', 'cassandra-1', 'cassandra-2', 'cassandra-3'];
const SHELLS = ['bash', 'zsh', 'fish'] as const;

/** One command of the tree, as completion needs it. */
export interface CompletionNode {
  /** the words after the program name, "" for the program */
  path: string;
  subcommands: string[];
  flags: string[];
  /** a flag that takes a value -> the values to offer */
  values: Record<string, readonly string[]>;
  /** values of its positional argument */
  args: readonly string[];
}

/** The command tree, read from the commands' own definitions: commands added later complete too. */
export function completionTree(program: Command): CompletionNode[] {
  const out: CompletionNode[] = [];
  const globals = program.options;
  const visit = (cmd: Command, path: string) => {
    const options = cmd === program ? globals : [...cmd.options, ...globals];
    const values: Record<string, readonly string[]> = {};
    for (const o of options) {
      const choices = (o.long ? FLAG_VALUES[o.long] : undefined) ?? o.argChoices;
      if (choices && o.long) values[o.long] = choices;
    }
    const node = path.split(' ')[0] === 'stack' && cmd.registeredArguments.length > 0 ? NODES : [];
    out.push({
      path,
      subcommands: cmd.commands.map((c) => c.name()),
      flags: [
        ...options.flatMap((o: Option) => [o.long, o.short].filter((f): f is string => f !== undefined)),
        '--help',
      ],
      values,
      args: cmd.registeredArguments.flatMap((a) => a.argChoices ?? []).concat(node),
    });
    for (const sub of cmd.commands) visit(sub, path === '' ? sub.name() : `${path} ${sub.name()}`);
  };
  visit(program, '');
  return out;
}

const words = (xs: readonly string[]) => xs.join(' ');

/** bash (and zsh through bashcompinit): a function that walks the words typed to find the command. */
export function bashScript(tree: CompletionNode[]): string {
  const cases = (pick: (n: CompletionNode) => string) =>
    tree.map((n) => `    "${n.path}") echo "${pick(n)}" ;;`).join('\n');
  const valueCases = tree
    .flatMap((n) => Object.entries(n.values).map(([f, v]) => `    "${n.path}|${f}") echo "${words(v)}" ;;`))
    .join('\n');
  return `# loginsync completion for bash: source <(loginsync completion bash), or save it in
# /etc/bash_completion.d/loginsync
_loginsync_subs() {
  case "$1" in
${cases((n) => words(n.subcommands))}
  esac
}
_loginsync_flags() {
  case "$1" in
${cases((n) => words(n.flags))}
  esac
}
_loginsync_args() {
  case "$1" in
${cases((n) => words(n.args))}
  esac
}
_loginsync_values() {
  case "$1" in
${valueCases}
  esac
}
_loginsync() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" path="" w i values
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if [[ " $(_loginsync_subs "$path") " == *" $w "* ]]; then path="\${path:+$path }$w"; fi
  done
  values="$(_loginsync_values "$path|$prev")"
  if [[ -n "$values" ]]; then
    COMPREPLY=($(compgen -W "$values" -- "$cur"))
  elif [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(_loginsync_flags "$path")" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(_loginsync_subs "$path") $(_loginsync_args "$path")" -- "$cur"))
  fi
}
complete -F _loginsync loginsync
`;
}

function zshScript(tree: CompletionNode[]): string {
  return `#compdef loginsync
# loginsync completion for zsh: source <(loginsync completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bashScript(tree)}`;
}

function fishScript(tree: CompletionNode[]): string {
  const lines = [
    '# loginsync completion for fish: loginsync completion fish > ~/.config/fish/completions/loginsync.fish',
    'complete -c loginsync -f',
  ];
  for (const n of tree) {
    const parts = n.path === '' ? [] : n.path.split(' ');
    // fish knows the words typed: a node applies when its path was typed and none of its subcommands yet
    const seen = parts.map((p) => `__fish_seen_subcommand_from ${p}`);
    const none = n.subcommands.length > 0 ? [`not __fish_seen_subcommand_from ${words(n.subcommands)}`] : [];
    const cond = n.path === '' ? '__fish_use_subcommand' : [...seen, ...none].join('; and ');
    if (n.subcommands.length > 0 || n.args.length > 0)
      lines.push(`complete -c loginsync -n '${cond}' -a '${words([...n.subcommands, ...n.args])}'`);
    for (const f of n.flags.filter((x) => x.startsWith('--'))) {
      const v = n.values[f];
      lines.push(`complete -c loginsync -n '${cond}' -l ${f.slice(2)}${v ? ` -x -a '${words(v)}'` : ''}`);
    }
  }
  return lines.join('\n') + '\n';
}

export function completionCommand(program: () => Command): Command {
  return new Command('completion')
    .description('print a shell completion script: commands, flags and their fixed values')
    .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
    .addHelpText(
      'after',
      `
Examples:
  source <(loginsync completion bash)       # in ~/.bashrc
  source <(loginsync completion zsh)        # in ~/.zshrc
  loginsync completion fish > ~/.config/fish/completions/loginsync.fish`,
    )
    .action((shell: (typeof SHELLS)[number]) => {
      const tree = completionTree(program());
      process.stdout.write(shell === 'bash' ? bashScript(tree) : shell === 'zsh' ? zshScript(tree) : fishScript(tree));
    });
}
